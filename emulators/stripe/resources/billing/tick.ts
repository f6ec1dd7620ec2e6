import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { EmulatorState } from '../../kernel/state.js';
import type { EmulatorDeps } from '../../server.js';
import { settle } from './balance.js';
import { backgroundEnv } from './env.js';
import { completePayouts, runAutomaticPayouts } from './payouts.js';
import { advanceInvoices, runDueCycles } from './subscription-cycle.js';

/**
 * Everything Stripe does on its own as time passes, for every account: funds settle, payouts
 * arrive, subscription periods roll over and invoice, drafts auto-finalize, automatic charges run.
 * The admin clock route calls this after moving the clock.
 */
export function runDueBilling(state: EmulatorState, baseUrl: string): void {
  for (const account of state.accounts.values()) {
    const env = backgroundEnv(state, account);
    settle(env);
    completePayouts(env);
    runDueCycles(env, baseUrl);
    advanceInvoices(env, baseUrl);
  }
}

/** Admin routes of the billing half: run due billing now, and Stripe's automatic payout sweep. */
export function registerBillingAdmin(app: FastifyInstance, deps: EmulatorDeps): void {
  app.register(async (admin) => {
    // Like the kernel's admin routes, these read JSON bodies (the API itself ignores JSON).
    admin.removeContentTypeParser('application/json');
    admin.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(String(body)));
      } catch (error) {
        done(error as Error, undefined);
      }
    });

    admin.post('/_emulator/billing/tick', async () => {
      runDueBilling(deps.state, deps.baseUrl());
      return { now: deps.state.clock.now() };
    });

    admin.post('/_emulator/payouts/run', async (request, reply) => {
      const body = z.object({ account: z.string().optional() }).safeParse(request.body ?? {});
      if (!body.success) return reply.status(400).send({ error: body.error.issues });
      const only = body.data.account;
      const accounts = only ? [deps.state.account(only)] : [...deps.state.accounts.values()];
      const payouts = [];
      for (const account of accounts) {
        if (!account) return reply.status(404).send({ error: `no such account: ${only ?? ''}` });
        payouts.push(...runAutomaticPayouts(backgroundEnv(deps.state, account)));
      }
      return { payouts };
    });
  });
}
