import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { type StripeEmulator, startStripeEmulator } from '../emulators/stripe/server.js';
import type { AccountState, StripeObject } from '../emulators/stripe/kernel/state.js';
import { stripeSyncJobHandlers } from '../src/integrations/stripe/sync/index.js';
import type { StripeIntegration } from '../src/integrations/stripe/settings.js';
import { Worker } from '../src/jobs/worker.js';
import {
  credentialContext,
  getLiveConnection,
  insertConnection,
  markDisconnected,
} from '../src/store/repositories/integration-connections.js';
import { startTestApi, type TestApi, type TestTenant } from './api.js';
import type { TestBackend } from './databases.js';

/**
 * The outbound Stripe sync against a real emulator over real HTTP: the app's API (injected), a
 * Stripe emulator, and a counting proxy between the SDK and the emulator, so tests can count and
 * inspect every request ledgerbridge makes (method, path, account, idempotency key).
 */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly account: string | undefined;
  readonly idempotencyKey: string | undefined;
  status?: number;
}

export interface SyncTenant extends TestTenant {
  readonly account: AccountState;
  post<T = Record<string, unknown>>(url: string, body: unknown): Promise<T>;
  patch<T = Record<string, unknown>>(url: string, body: unknown): Promise<T>;
  get<T = Record<string, unknown>>(url: string): Promise<T>;
  /** Every object of a type in the tenant's Stripe account. */
  objects<T extends StripeObject = StripeObject>(type: string): T[];
  /** Requests made for the tenant's account. */
  requests(): SeenRequest[];
}

export interface SyncHarness {
  readonly api: TestApi;
  readonly emulator: StripeEmulator;
  tenant(options?: { sendByEmail?: boolean }): Promise<SyncTenant>;
  /** The tenant disconnects its Stripe account and connects a new one: the tenant as it is then. */
  switchAccount(tenant: SyncTenant): Promise<SyncTenant>;
  /** Runs a real Worker with the sync handlers until the tenant has no queued or running job. */
  runJobs(tenant: SyncTenant, options?: { timeoutMs?: number; stripeTimeoutMs?: number }): Promise<void>;
  integration(stripeTimeoutMs?: number): StripeIntegration;
  close(): Promise<void>;
}

export async function startSyncHarness(backend: TestBackend): Promise<SyncHarness> {
  const emulator = await startStripeEmulator({ ratePerSecond: 0 });
  const seen: SeenRequest[] = [];
  const proxy = await startProxy(emulator.url, seen);
  const api = await startTestApi(backend, {
    stripe: { apiBase: proxy.url, platformSecretKey: emulator.secretKey, timeoutMs: 5_000 },
  });
  const integration = (stripeTimeoutMs?: number): StripeIntegration =>
    stripeTimeoutMs === undefined
      ? api.stripe
      : { ...api.stripe, settings: { ...api.stripe.settings, timeoutMs: stripeTimeoutMs } };

  const connectNewAccount = async (tenant: TestTenant, sendByEmail: boolean): Promise<SyncTenant> => {
    const account = emulator.state.createAccount(`Business of ${tenant.tenantId}`);
    account.connectedTo = emulator.state.platform.id;
    await insertConnection(api.db, {
      tenantId: tenant.tenantId,
      provider: 'stripe',
      method: 'oauth',
      externalAccountId: account.id,
      connectedBy: 'user:usr_test',
      settings: { send_invoices_by_email: sendByEmail },
      sealCredentials: (row) =>
        api.stripe.secrets.encrypt(
          JSON.stringify({
            kind: 'oauth',
            access_token: null,
            refresh_token: null,
            scope: 'read_write',
            livemode: false,
          }),
          credentialContext(row, 'credentials'),
        ),
    });
    const send = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
      const response = await tenant.request(method, url, body);
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
      return response.json<T>();
    };
    return {
      ...tenant,
      account,
      post: (url, body) => send('POST', url, body),
      patch: (url, body) => send('PATCH', url, body),
      get: (url) => send('GET', url),
      objects: <T extends StripeObject>(type: string) => account.all<T>(type),
      requests: () => seen.filter((r) => r.account === account.id),
    };
  };

  return {
    api,
    emulator,
    integration,
    async tenant(options = {}) {
      const tenant = await api.tenant('owner');
      return connectNewAccount(tenant, options.sendByEmail === true);
    },
    async switchAccount(tenant) {
      const current = await getLiveConnection(api.db, tenant.tenantId, 'stripe');
      if (current) await markDisconnected(api.db, current, 'user:usr_test');
      return connectNewAccount(tenant, false);
    },
    async runJobs(tenant, options = {}) {
      const worker = new Worker({
        db: api.db,
        handlers: stripeSyncJobHandlers({ db: api.db, stripe: integration(options.stripeTimeoutMs) }),
        pollIntervalMs: 10,
        leaseMs: 10_000,
        backoff: { baseMs: 20, maxMs: 200, jitter: 0 },
      });
      worker.start();
      try {
        await waitForIdle(api, tenant.tenantId, options.timeoutMs ?? 30_000);
      } finally {
        await worker.stop();
      }
    },
    async close() {
      await api.close();
      await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
      await emulator.close();
    },
  };
}

export async function waitForIdle(api: TestApi, tenantId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await api.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1 AND state IN ('queued', 'running')",
      [tenantId],
    );
    if (row?.n === 0) return;
    if (Date.now() > deadline) throw new Error(`jobs of ${tenantId} still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Forwards everything to the emulator and records it; a dropped upstream connection drops ours. */
async function startProxy(target: string, seen: SeenRequest[]): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const record: SeenRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '').split('?')[0] ?? '',
      account: header('stripe-account'),
      idempotencyKey: header('idempotency-key'),
    };
    seen.push(record);
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        if (answer.statusCode !== undefined) record.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}
