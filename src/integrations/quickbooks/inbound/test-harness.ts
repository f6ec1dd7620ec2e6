import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { TestTenant } from '../../../../test/api.js';
import type { TestBackend } from '../../../../test/databases.js';
import { Worker } from '../../../jobs/worker.js';
import { findLinkByExternal } from '../../../store/repositories/external-links.js';
import { getInvoice, type Invoice } from '../../../store/repositories/invoices.js';
import { listInvoiceEvents } from '../../../store/repositories/timeline.js';
import {
  connectQuickBooks,
  type EmulatorOptions,
  type QboHarness,
  startQboHarness,
} from '../connection/test-harness.js';
import type { QboObject } from '../types.js';
import { enqueueQuickBooksCdc } from './cdc.js';
import { catcherTransport } from '../../../email/transport.js';
import { allJobHandlers } from '../../../runtime/job-handlers.js';

/**
 * The pull end to end: our app listening on a real port, the QuickBooks emulator delivering real
 * signed notifications to it, a person's actions taken through the emulator's person API, and a real
 * Worker running every QuickBooks job (pull and push).
 */
export interface PullTenant extends TestTenant {
  readonly realmId: string;
}

export interface PullHarness extends QboHarness {
  readonly webhookUrl: string;
  /**
   * A new tenant connected (through OAuth consent) to the next emulator company; `beforeConnect`
   * acts in that company first, as a person who used QuickBooks before connecting.
   */
  tenant(beforeConnect?: (realmId: string) => Promise<void>): Promise<PullTenant>;
  /** A person's action in QuickBooks: `/_emulator/companies/:realm/person/<path>`. */
  person<T = Record<string, unknown>>(realmId: string, path: string, body?: unknown): Promise<T>;
  /** Sets emulator webhook switches (`duplicate`, `shuffle`, `drop_next`, `format`, `paused`). */
  switches(settings: Record<string, unknown>): Promise<void>;
  /** Until every notification is delivered and every job of the tenant has finished. */
  settle(tenant: TestTenant, timeoutMs?: number): Promise<void>;
  /** A change-data sweep of the tenant's connection, under `key`, run to the end. */
  sweep(tenant: TestTenant, key: string): Promise<void>;
  /** Our invoice behind a QuickBooks invoice Id (undefined if none). */
  invoiceFor(tenant: TestTenant, qboInvoiceId: string): Promise<Invoice | undefined>;
}

export async function startPullHarness(
  backend: TestBackend,
  options: Partial<EmulatorOptions> = {},
): Promise<PullHarness> {
  const harness = await startQboHarness(backend, {
    companies: 20,
    limits: false,
    webhooks: { batchWindowMs: 5, retryDelaysMs: [20, 50, 100], timeoutMs: 5_000 },
    ...options,
  });
  const { api, emulator } = harness;
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = api.app.server.address() as AddressInfo;
  const webhookUrl = `http://127.0.0.1:${port}/webhooks/quickbooks`;
  emulator.webhooks.setEndpoint(webhookUrl);
  const deps = { db: api.db, quickbooks: api.quickbooks };
  const worker = new Worker({
    db: api.db,
    handlers: allJobHandlers({
      ...deps,
      stripe: api.stripe,
      mail: catcherTransport('Sandbox <billing@example.test>'),
    }),
    concurrency: 4,
    pollIntervalMs: 10,
    leaseMs: 10_000,
    backoff: { baseMs: 30, maxMs: 200, jitter: 0 },
  });
  worker.start();

  let nextRealm = 0;
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
  const pendingJobs = async (tenant: TestTenant) => {
    const [row] = await api.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1 AND state IN ('queued', 'running')",
      [tenant.tenantId],
    );
    return row?.n ?? 0;
  };
  const settle = async (tenant: TestTenant, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await emulator.webhooks.idle();
      while ((await pendingJobs(tenant)) > 0) {
        if (Date.now() > deadline) throw new Error(`jobs of ${tenant.tenantId} still pending`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await emulator.webhooks.idle();
      if ((await pendingJobs(tenant)) === 0) break;
    }
    // Nothing may have failed on the way, even if a retry later succeeded. A snooze (a sent
    // invoice's workflow waiting) is no failure.
    const troubles = await api.db.query<{ type: string; state: string; last_error: string | null }>(
      `SELECT type, state, last_error FROM jobs WHERE tenant_id = $1
         AND (state = 'dead' OR (last_error IS NOT NULL AND last_error NOT LIKE 'SnoozeJobError:%'))`,
      [tenant.tenantId],
    );
    expect(troubles).toEqual([]);
  };
  return {
    ...harness,
    webhookUrl,
    async tenant(beforeConnect) {
      const realmId = emulator.realmIds[nextRealm++];
      if (realmId === undefined) throw new Error('the emulator has no company left');
      if (beforeConnect) await beforeConnect(realmId);
      const tenant = await api.tenant();
      const answer = await connectQuickBooks(tenant, { realmId });
      expect(answer.statusCode, answer.body).toBeLessThan(400);
      // Connecting starts a CDC sweep; let it finish, so what a test does next reaches us by webhook.
      await settle(tenant);
      return { ...tenant, realmId };
    },
    person: async <T>(realmId: string, path: string, body?: unknown) =>
      (await admin('POST', `/_emulator/companies/${realmId}/person/${path}`, body ?? {})) as T,
    async switches(settings) {
      await admin('POST', '/_emulator/webhooks', settings);
    },
    settle,
    async sweep(tenant, key) {
      const [connection] = await api.db.query<{ id: string }>(
        `SELECT id FROM integration_connections WHERE tenant_id = $1 AND provider = 'quickbooks'`,
        [tenant.tenantId],
      );
      await api.db.transaction((tx) =>
        enqueueQuickBooksCdc(tx, tenant.tenantId, String(connection?.id), key),
      );
      await settle(tenant);
    },
    async invoiceFor(tenant, qboInvoiceId) {
      const link = await findLinkByExternal(api.db, {
        tenantId: tenant.tenantId,
        provider: 'quickbooks',
        localType: 'invoice',
        externalId: qboInvoiceId,
      });
      return link ? getInvoice(api.db, tenant.tenantId, link.localId) : undefined;
    },
    async close() {
      await worker.stop();
      await harness.close();
    },
  };
}

/** A customer and an invoice made by a person in QuickBooks; the QuickBooks ids and the invoice. */
export async function invoiceInQuickBooks(
  h: PullHarness,
  tenant: PullTenant,
  lines: readonly Record<string, unknown>[] = [{ amount: '100.00', description: 'Consulting' }],
) {
  const tag = Math.random().toString(36).slice(2, 8);
  const { Customer } = await h.person<{ Customer: QboObject }>(tenant.realmId, 'customers', {
    displayName: `Globex ${tag}`,
    email: `ap-${tag}@globex.test`,
  });
  const { Invoice } = await h.person<{ Invoice: QboObject }>(tenant.realmId, 'invoices', {
    customerId: Customer.Id,
    lines,
  });
  return { customerId: String(Customer.Id), qboInvoiceId: String(Invoice.Id), invoice: Invoice };
}

/** Our invoice behind a QuickBooks invoice; fails the test when there is none. */
export async function ours(h: PullHarness, tenant: PullTenant, qboInvoiceId: string): Promise<Invoice> {
  const invoice = await h.invoiceFor(tenant, qboInvoiceId);
  if (!invoice) throw new Error(`QuickBooks invoice ${qboInvoiceId} was not imported`);
  return invoice;
}

export async function timeline(h: PullHarness, tenant: PullTenant, invoiceId: string) {
  return (await listInvoiceEvents(h.api.db, tenant.tenantId, invoiceId)).map((event) => ({
    kind: event.kind,
    message: event.message,
    actor: event.actor,
    system: event.system,
  }));
}

export function quickbooksPayments(h: PullHarness, tenant: PullTenant, invoiceId: string) {
  return h.api.db.query<{ amount: number; external_id: string }>(
    `SELECT amount::int AS amount, external_id FROM payments
     WHERE tenant_id = $1 AND invoice_id = $2 AND source = 'quickbooks' ORDER BY external_id`,
    [tenant.tenantId, invoiceId],
  );
}

/** A call to QuickBooks' REST API as any client of the company makes it. */
export async function rest(h: PullHarness, realmId: string, path: string, body: unknown) {
  const response = await fetch(`${h.emulator.url}/v3/company/${realmId}/${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${h.emulator.tokenFor(realmId)}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, QboObject>;
  expect(response.status, JSON.stringify(json)).toBe(200);
  return json;
}
