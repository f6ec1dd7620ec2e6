import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';
import { expect } from 'vitest';
import type { AccountState } from '../../../../emulators/stripe/kernel/state.js';
import { type StripeEmulator, startStripeEmulator } from '../../../../emulators/stripe/server.js';
import { startTestApi, type TestApi, type TestTenant } from '../../../../test/api.js';
import type { TestBackend } from '../../../../test/databases.js';
import { Worker } from '../../../jobs/worker.js';
import {
  type Connection,
  credentialContext,
  insertConnection,
  setWebhookEndpoint,
} from '../../../store/repositories/integration-connections.js';
import { SUBSCRIBED_EVENT_TYPES } from '../events.js';
import { stripeJobHandlers } from '../jobs.js';
import { stripeSyncJobHandlers } from '../sync/index.js';
import { stripeClientFor } from '../../../../emulators/stripe/sdk.js';

/**
 * The inbound half end to end: our app listening on a real port, the Stripe emulator delivering
 * real signed webhooks to it from an endpoint registered on the tenant's connected account, and a
 * real Worker running every Stripe job (outbound sync, webhook processing, reconciliation).
 */
export interface InboundTenant extends TestTenant {
  readonly account: AccountState;
  readonly connection: Connection;
  /** The SDK acting as the tenant's account (as a person in the Stripe dashboard would). */
  readonly stripe: Stripe;
  readonly options: Stripe.RequestOptions;
  send<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<T>;
}

export interface InboundHarness {
  readonly api: TestApi;
  readonly emulator: StripeEmulator;
  /** A new tenant with a connected Stripe account. */
  tenant(): Promise<InboundTenant>;
  /** Connects an existing tenant (one made with `api.tenant()` that did things before connecting). */
  connect(tenant: TestTenant): Promise<InboundTenant>;
  /** Waits until every webhook is delivered and every job of the tenant has finished. */
  settle(tenant: TestTenant, timeoutMs?: number): Promise<void>;
  /** Waits for the tenant's jobs only (webhook delivery may be paused). */
  jobsIdle(tenant: TestTenant, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startInboundHarness(backend: TestBackend): Promise<InboundHarness> {
  const emulator = await startStripeEmulator({
    ratePerSecond: 0,
    webhookRetry: { baseDelayMs: 5, maxAttempts: 6 },
  });
  const api = await startTestApi(backend, {
    stripe: { apiBase: emulator.url, platformSecretKey: emulator.secretKey, timeoutMs: 5_000 },
  });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = api.app.server.address() as AddressInfo;
  const webhookUrl = `http://127.0.0.1:${port}/webhooks/stripe`;
  const platform = stripeClientFor(emulator.url, emulator.secretKey);
  const worker = new Worker({
    db: api.db,
    handlers: {
      ...stripeSyncJobHandlers({ db: api.db, stripe: api.stripe }),
      ...stripeJobHandlers({ db: api.db, stripe: api.stripe }),
    },
    concurrency: 4,
    pollIntervalMs: 10,
    leaseMs: 10_000,
    backoff: { baseMs: 30, maxMs: 200, jitter: 0 },
  });
  worker.start();

  const connect = async (tenant: TestTenant): Promise<InboundTenant> => {
    const account = emulator.state.createAccount(`Business of ${tenant.tenantId}`);
    account.connectedTo = emulator.state.platform.id;
    const options: Stripe.RequestOptions = { stripeAccount: account.id };
    let connection = await insertConnection(api.db, {
      tenantId: tenant.tenantId,
      provider: 'stripe',
      method: 'oauth',
      externalAccountId: account.id,
      connectedBy: 'user:usr_test',
      sealCredentials: (row) =>
        api.stripe.secrets.encrypt(
          JSON.stringify({
            kind: 'oauth',
            access_token: null,
            refresh_token: null,
            scope: null,
            livemode: false,
          }),
          credentialContext(row, 'credentials'),
        ),
    });
    // What connecting does with PUBLIC_URL set: an endpoint on the account, its secret sealed.
    const endpoint = await platform.webhookEndpoints.create(
      { url: webhookUrl, enabled_events: [...SUBSCRIBED_EVENT_TYPES] },
      options,
    );
    connection = await setWebhookEndpoint(
      api.db,
      connection,
      endpoint.id,
      api.stripe.secrets.encrypt(String(endpoint.secret), credentialContext(connection, 'webhook_secret')),
    );
    const send = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
      const response = await tenant.request(method, url, body);
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
      return response.json<T>();
    };
    return { ...tenant, account, connection, stripe: platform, options, send };
  };

  const pendingJobs = async (tenant: TestTenant) => {
    const [row] = await api.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1 AND state IN ('queued', 'running')",
      [tenant.tenantId],
    );
    return row?.n ?? 0;
  };
  const jobsIdle = async (tenant: TestTenant, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while ((await pendingJobs(tenant)) > 0) {
      if (Date.now() > deadline)
        throw new Error(`jobs of ${tenant.tenantId} still pending after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  // Jobs cause Stripe calls that emit events, whose deliveries cause jobs: until both are quiet.
  const settle = async (tenant: TestTenant, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    do {
      await emulator.webhooks.idle();
      await jobsIdle(tenant, Math.max(1, deadline - Date.now()));
      await emulator.webhooks.idle();
    } while ((await pendingJobs(tenant)) > 0);
  };

  return {
    api,
    emulator,
    async tenant() {
      return connect(await api.tenant('owner'));
    },
    connect,
    settle,
    jobsIdle,
    async close() {
      await worker.stop();
      await api.close();
      await emulator.close();
    },
  };
}
