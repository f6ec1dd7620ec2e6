import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OAuthAuthority } from './oauth/index.js';
import type { QboState } from './kernel/state.js';
import type { QboTraffic } from './kernel/traffic.js';
import type { RequestIdStore } from './kernel/requestids.js';
import { registerWebhookAdmin, type QboWebhookDelivery } from './webhooks/index.js';

/**
 * The emulator's control panel, outside QuickBooks' API: companies, the clock, limits, injected
 * faults, reset, webhook delivery. JSON bodies, no authentication (the emulator listens on loopback).
 */
export interface AdminDeps {
  readonly state: QboState;
  readonly traffic: QboTraffic;
  readonly oauth: OAuthAuthority;
  readonly webhooks: QboWebhookDelivery;
  readonly requestIds: RequestIdStore;
}

const faultSchema = z.object({
  kind: z.enum(['error', 'timeout', 'lost_response', 'throttle', 'latency']),
  count: z.number().int().min(1).optional(),
  latencyMs: z.number().int().min(0).max(120_000).default(0),
  holdMs: z.number().int().min(0).max(180_000).default(1_000),
  method: z.enum(['GET', 'POST']).optional(),
  entity: z.string().min(1).optional(),
  realmId: z.string().min(1).optional(),
  pathPrefix: z.string().startsWith('/').optional(),
});

const limitsSchema = z.object({
  perMinute: z.number().int().min(0).optional(),
  concurrent: z.number().int().min(0).optional(),
  batchPerMinute: z.number().int().min(0).optional(),
  timeScale: z.number().positive().max(1_000_000).optional(),
});

const settingsSchema = z.object({
  multiCurrency: z.literal(true).optional(),
  exchangeRates: z.record(z.string().regex(/^[A-Z]{3}$/), z.number().positive()).optional(),
});

export function registerAdmin(app: FastifyInstance, deps: AdminDeps): void {
  const { state, traffic, oauth, webhooks, requestIds } = deps;
  void app.register(async (admin) => {
    admin.removeContentTypeParser('application/json');
    admin.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(String(body)));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    const invalid = (issues: unknown) => ({ error: 'invalid request', issues });

    admin.get('/_emulator/companies', async () => ({ companies: state.list() }));
    admin.post('/_emulator/companies', async (request, reply) => {
      const body = z.object({ name: z.string().min(1).max(100).optional() }).safeParse(request.body ?? {});
      if (!body.success) return reply.status(400).send(invalid(body.error.issues));
      const company = state.createCompany(body.data.name);
      return reply.status(201).send({ realmId: company.realmId, companyName: company.companyName });
    });
    admin.post('/_emulator/companies/:realmId/settings', async (request, reply) => {
      const company = state.company((request.params as { realmId: string }).realmId);
      if (!company) return reply.status(404).send({ error: 'no such company' });
      const body = settingsSchema.safeParse(request.body ?? {});
      if (!body.success) return reply.status(400).send(invalid(body.error.issues));
      if (body.data.multiCurrency) {
        const prefs = company.preferences;
        prefs.CurrencyPrefs = { ...(prefs.CurrencyPrefs as object), MultiCurrencyEnabled: true };
      }
      for (const [code, rate] of Object.entries(body.data.exchangeRates ?? {}))
        company.exchangeRates.set(code, rate);
      return {
        multiCurrency: company.multiCurrencyEnabled,
        exchangeRates: Object.fromEntries(company.exchangeRates),
      };
    });
    admin.post('/_emulator/companies/:realmId/token', async (request, reply) => {
      const { realmId } = request.params as { realmId: string };
      if (!state.company(realmId)) return reply.status(404).send({ error: 'no such company' });
      return { access_token: oauth.mintAccessToken(realmId), realmId };
    });

    admin.get('/_emulator/clock', async () => ({ now: new Date(state.clock.now()).toISOString() }));
    admin.post('/_emulator/clock/advance', async (request, reply) => {
      const body = z
        .object({ ms: z.number().int().min(0).optional(), seconds: z.number().min(0).optional() })
        .safeParse(request.body ?? {});
      if (!body.success) return reply.status(400).send(invalid(body.error.issues));
      state.clock.advance((body.data.ms ?? 0) + (body.data.seconds ?? 0) * 1000);
      return { now: new Date(state.clock.now()).toISOString() };
    });

    admin.get('/_emulator/limits', async () => traffic.limits);
    admin.post('/_emulator/limits', async (request, reply) => {
      const body = limitsSchema.safeParse(request.body ?? {});
      if (!body.success) return reply.status(400).send(invalid(body.error.issues));
      traffic.limits = { ...traffic.limits, ...stripUndefined(body.data) };
      return traffic.limits;
    });

    admin.get('/_emulator/faults', async () => ({ faults: traffic.listFaults() }));
    admin.post('/_emulator/faults', async (request, reply) => {
      const body = faultSchema.safeParse(request.body ?? {});
      if (!body.success) return reply.status(400).send(invalid(body.error.issues));
      traffic.addFault(body.data);
      return reply.status(201).send({ faults: traffic.listFaults() });
    });
    admin.delete('/_emulator/faults', async () => {
      traffic.clearFaults();
      return { faults: [] };
    });

    admin.post('/_emulator/reset', async () => {
      state.reset();
      traffic.reset();
      requestIds.clear();
      return { companies: state.list() };
    });

    registerWebhookAdmin(admin, webhooks);
  });
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
