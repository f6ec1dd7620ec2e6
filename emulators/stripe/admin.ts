import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { EmulatorDeps } from './server.js';
import { runDueBilling } from './resources/billing/tick.js';
import { registerWebhookAdmin } from './webhooks/admin.js';

/**
 * The emulator's own control panel, outside Stripe's API: move the clock, set the rate limit,
 * inject faults, steer webhook delivery. JSON bodies; no authentication (the emulator listens on loopback).
 */
export function registerAdmin(
  app: FastifyInstance,
  { state, traffic, webhooks, baseUrl }: EmulatorDeps,
): void {
  app.register(async (admin) => {
    admin.removeContentTypeParser('application/json');
    admin.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(String(body)));
      } catch (error) {
        done(error as Error, undefined);
      }
    });

    admin.post('/_emulator/clock/advance', async (request, reply) => {
      const body = z.object({ seconds: z.number().int().min(0) }).safeParse(request.body);
      if (!body.success) return reply.status(400).send({ error: body.error.issues });
      state.clock.advance(body.data.seconds);
      // Time passing is what renews subscriptions, settles funds and lands payouts.
      runDueBilling(state, baseUrl());
      return { now: state.clock.now() };
    });

    admin.post('/_emulator/rate-limit', async (request, reply) => {
      const body = z.object({ per_second: z.number().int().min(0) }).safeParse(request.body);
      if (!body.success) return reply.status(400).send({ error: body.error.issues });
      traffic.ratePerSecond = body.data.per_second;
      return { per_second: traffic.ratePerSecond };
    });

    admin.post('/_emulator/faults', async (request, reply) => {
      const body = z
        .object({
          kind: z.enum(['error', 'timeout', 'latency']),
          count: z.number().int().min(1).optional(),
          latency_ms: z.number().int().min(0).max(120_000).default(0),
          path_prefix: z.string().default('/v1/'),
          method: z.enum(['GET', 'POST', 'DELETE']).optional(),
        })
        .safeParse(request.body);
      if (!body.success) return reply.status(400).send({ error: body.error.issues });
      const { kind, count, latency_ms, path_prefix, method } = body.data;
      traffic.addFault({
        kind,
        latencyMs: latency_ms,
        pathPrefix: path_prefix,
        method,
        ...(count ? { count } : {}),
      });
      return { ok: true };
    });

    admin.delete('/_emulator/faults', async () => {
      traffic.clearFaults();
      return { ok: true };
    });

    registerWebhookAdmin(admin, webhooks);
  });
}
