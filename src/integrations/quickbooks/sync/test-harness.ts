import { expect } from 'vitest';
import type { QuickBooksEmulatorOptions } from '../../../../emulators/quickbooks/server.js';
import { type QboTestClient, qboClient } from '../../../../emulators/quickbooks/testing.js';
import type { TestTenant } from '../../../../test/api.js';
import type { TestBackend } from '../../../../test/databases.js';
import { Worker } from '../../../jobs/worker.js';
import { connectQuickBooks, type QboHarness, startQboHarness } from '../connection/test-harness.js';
import type { QuickBooksConnectionSettings } from '../types.js';
import { catcherTransport } from '../../../email/transport.js';
import { allJobHandlers } from '../../../runtime/job-handlers.js';
import type { RealmRate } from './pace.js';

/**
 * The push end to end: ledgerbridge's API, a tenant connected through the emulator's OAuth consent,
 * a real Worker running the push jobs against the QuickBooks emulator over real HTTP, and a direct
 * emulator client to look at what QuickBooks holds.
 */
export interface PushTenant extends TestTenant {
  readonly realmId: string;
  /** The emulator's REST API as this company (assertions read QuickBooks through it). */
  readonly qbo: QboTestClient;
  post<T = Record<string, unknown>>(url: string, body: unknown): Promise<T>;
  patch<T = Record<string, unknown>>(url: string, body: unknown): Promise<T>;
  get<T = Record<string, unknown>>(url: string): Promise<T>;
  /** Every object of an entity in the company (`SELECT *`). */
  all(entity: string, where?: string): Promise<Record<string, any>[]>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface PushHarness extends QboHarness {
  tenant(settings?: Partial<QuickBooksConnectionSettings>): Promise<PushTenant>;
  /**
   * Runs a Worker with the push handlers until the tenant has no job left to run now. With
   * `fastForward`, jobs waiting for later (a snooze after a 429, a retry's backoff) are made due, as
   * if that time had passed, until none is left.
   */
  runJobs(tenant: TestTenant, options?: { fastForward?: boolean; timeoutMs?: number }): Promise<void>;
  /** Adds an emulator fault (`/_emulator/faults`). */
  fault(rule: Record<string, unknown>): Promise<void>;
  admin(method: string, path: string, body?: unknown): Promise<unknown>;
}

export async function startPushHarness(
  backend: TestBackend,
  options: QuickBooksEmulatorOptions = {},
  // The emulator's limits are off unless a test turns them on: no need to wait for QuickBooks' minute.
  realmRate: RealmRate = { requestsPerMinute: 60_000, batchesPerMinute: 6_000 },
): Promise<PushHarness> {
  const harness = await startQboHarness(backend, { limits: false, ...options });
  const { api, emulator } = harness;
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return JSON.parse(text) as unknown;
  };
  const counts = async (tenantId: string) => {
    const [row] = await api.db.query<{ due: number; later: number }>(
      `SELECT count(*) FILTER (WHERE state = 'running' OR (state = 'queued' AND run_at <= now()))::int AS due,
              count(*) FILTER (WHERE state = 'queued' AND run_at > now())::int AS later
       FROM jobs WHERE tenant_id = $1`,
      [tenantId],
    );
    return { due: row?.due ?? 0, later: row?.later ?? 0 };
  };

  return {
    ...harness,
    admin,
    async fault(rule) {
      await admin('POST', '/_emulator/faults', rule);
    },
    async tenant(settings = {}) {
      const tenant = await api.tenant('owner');
      const { realmId } = (await admin('POST', '/_emulator/companies', {})) as { realmId: string };
      const connected = await connectQuickBooks(tenant, { realmId });
      expect(connected.statusCode, connected.body).toBeLessThan(400);
      const send = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
        const response = await tenant.request(method, url, body);
        expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
        return response.json<T>();
      };
      if (Object.keys(settings).length > 0)
        await send('PATCH', '/api/v1/integrations/quickbooks/settings', settings);
      const qbo = qboClient(emulator, realmId);
      return {
        ...tenant,
        realmId,
        qbo,
        post: (url, body) => send('POST', url, body),
        patch: (url, body) => send('PATCH', url, body),
        get: (url) => send('GET', url),
        async all(entity, where) {
          const answer = await qbo.query(
            `SELECT * FROM ${entity}${where ? ` WHERE ${where}` : ''} MAXRESULTS 1000`,
          );
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          return (answer.body.QueryResponse?.[entity] ?? []) as Record<string, unknown>[];
        },
      };
    },
    async runJobs(tenant, options = {}) {
      const worker = new Worker({
        db: api.db,
        // Every handler a worker process registers: connecting starts the pull's first CDC sweep, and
        // sending an invoice its workflow.
        handlers: allJobHandlers({
          db: api.db,
          stripe: api.stripe,
          quickbooks: api.quickbooks,
          mail: catcherTransport('Sandbox <billing@example.test>'),
          quickbooksRealmRate: realmRate,
        }),
        concurrency: 8,
        pollIntervalMs: 10,
        leaseMs: 10_000,
        backoff: { baseMs: 20, maxMs: 200, jitter: 0 },
      });
      worker.start();
      const deadline = Date.now() + (options.timeoutMs ?? 30_000);
      try {
        for (;;) {
          const { due, later } = await counts(tenant.tenantId);
          if (due === 0 && later === 0) return;
          if (due === 0 && options.fastForward) {
            await api.db.query(`UPDATE jobs SET run_at = now() WHERE tenant_id = $1 AND state = 'queued'`, [
              tenant.tenantId,
            ]);
          } else if (due === 0) {
            return;
          }
          if (Date.now() > deadline) throw new Error(`jobs of ${tenant.tenantId} still pending`);
          await new Promise((resolve) => setTimeout(resolve, 15));
        }
      } finally {
        await worker.stop();
      }
    },
  };
}
