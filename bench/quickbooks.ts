import { randomBytes } from 'node:crypto';
import { type QuickBooksEmulator, startQuickBooksEmulator } from '../emulators/quickbooks/server.js';
import { createTenant } from '../src/access/repository.js';
import { createInvoice, transitionInvoiceStatus } from '../src/billing/invoices.js';
import { sealCredentials } from '../src/integrations/quickbooks/connection/credentials.js';
import {
  oauthEndpointsAt,
  unconfiguredQuickBooksIntegration,
} from '../src/integrations/quickbooks/settings.js';
import {
  enqueueQboBackfill,
  quickbooksSyncJobHandlers,
  realmKey,
} from '../src/integrations/quickbooks/sync/index.js';
import { RealmPacer } from '../src/integrations/quickbooks/sync/pace.js';
import type { QuickBooksIntegration } from '../src/integrations/quickbooks/types.js';
import { setQueueLimit } from '../src/jobs/queue.js';
import { Worker } from '../src/jobs/worker.js';
import { SecretBox } from '../src/security/secret-box.js';
import type { Db } from '../src/store/db.js';
import { insertContact } from '../src/store/repositories/contacts.js';
import { insertConnection } from '../src/store/repositories/integration-connections.js';
import { insertService } from '../src/store/repositories/services.js';
import { ensureDefaultWorkflows } from '../src/workflows/defaults.js';
import { type Figure, timed } from './measure.js';

/** QuickBooks' limits per realm, and the share of them the push paces itself to. */
const QBO_REQUESTS_PER_MINUTE = 500;
const QBO_BATCHES_PER_MINUTE = 40;
const PACED = { requestsPerMinute: 480, batchesPerMinute: 38 } as const;

interface Options {
  readonly invoices: number;
  readonly customers: number;
  readonly timeScale: number;
}

/**
 * Invoice push throughput against the QuickBooks emulator enforcing the real per-realm limits (500
 * requests a minute, 10 concurrent, 40 batch requests a minute) on a shortened minute (`timeScale`),
 * from the moment a real Worker starts until the last invoice is in QuickBooks. Two paths, each on a
 * fresh company with `customers` new customers and 5 new items, invoices of two lines:
 *
 * - live: each invoice sent while connected is its own job (what day-to-day sending does);
 * - backfill: invoices sent before pushing was on go over 30 to a batch request.
 *
 * The limits are on requests, so the most any client can push is min(500 / requests per invoice,
 * 40 / batch requests per invoice) invoices per minute: the figure is our rate as a fraction of that
 * ceiling, with requests counted by the pacer every request goes through, and 429s reported.
 */
export async function benchQuickBooks(label: string, db: Db, options: Options): Promise<Figure[]> {
  const emulator = await startQuickBooksEmulator({
    port: 0,
    companies: 2,
    limits: { timeScale: options.timeScale },
  });
  try {
    const live = await pushRun(db, emulator, emulator.realmIds[0] ?? '', 'live', label, options);
    const backfill = await pushRun(db, emulator, emulator.realmIds[1] ?? '', 'backfill', label, options);
    return [...live, ...backfill];
  } finally {
    await emulator.close();
  }
}

function integrationFor(emulator: QuickBooksEmulator): QuickBooksIntegration {
  const base = unconfiguredQuickBooksIntegration();
  return {
    ...base,
    settings: {
      ...base.settings,
      apiBase: emulator.url,
      ...oauthEndpointsAt(emulator.url),
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      timeoutMs: 10_000,
    },
    secrets: new SecretBox([randomBytes(32)]),
  };
}

async function connect(
  db: Db,
  emulator: QuickBooksEmulator,
  quickbooks: QuickBooksIntegration,
  tenantId: string,
  realmId: string,
  settings: Record<string, unknown>,
) {
  await insertConnection(db, {
    tenantId,
    provider: 'quickbooks',
    method: 'oauth',
    externalAccountId: realmId,
    connectedBy: 'user:usr_bench',
    settings,
    sealCredentials: (row) =>
      sealCredentials(quickbooks, row, {
        access_token: emulator.tokenFor(realmId),
        refresh_token: 'bench-never-refreshed',
        access_expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        refresh_expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      }),
  });
}

/** Contacts, services and sent invoices of two lines (tax, a fractional quantity, a discount). */
async function sendInvoices(db: Db, tenantId: string, options: Options): Promise<void> {
  const who = { tenantId, actor: 'user:usr_bench' };
  const services = [];
  for (let s = 0; s < 5; s += 1) {
    const service = await insertService(db, tenantId, {
      code: `SVC${s}`,
      name: `Service ${s}`,
      description: null,
      unitPrice: 1_000 + s * 250,
      currency: 'USD',
      prices: [],
      taxRate: null,
      taxInclusive: false,
      recurringInterval: null,
    });
    if (service) services.push(service);
  }
  const contacts = [];
  for (let c = 0; c < options.customers; c += 1) {
    const contact = { kind: 'organization' as const, name: `Customer ${c}`, email: `ap-${c}@bench.test` };
    contacts.push(
      await insertContact(db, tenantId, {
        ...contact,
        phone: null,
        billingAddress: null,
        preferredCurrency: null,
      }),
    );
  }
  for (let i = 0; i < options.invoices; i += 1) {
    const contact = contacts[i % contacts.length];
    const a = services[i % services.length];
    const b = services[(i + 2) % services.length];
    if (!contact || !a || !b) throw new Error('bench fixtures missing');
    const line = { billableId: null, taxInclusive: false } as const;
    const invoice = await createInvoice(db, who, {
      contactId: contact.id,
      currency: 'USD',
      dueDate: null,
      memo: null,
      formType: 'invoice',
      lines: [
        {
          ...line,
          description: a.name,
          quantity: '1.5',
          unitPrice: a.unitPrice,
          serviceId: a.id,
          discount: null,
          taxRate: '8.5',
        },
        {
          ...line,
          description: b.name,
          quantity: '2',
          unitPrice: b.unitPrice,
          serviceId: b.id,
          discount: { kind: 'percent', rate: '10' },
          taxRate: null,
        },
      ],
    });
    await transitionInvoiceStatus(db, who, invoice.id, 'send');
  }
}

async function pushRun(
  db: Db,
  emulator: QuickBooksEmulator,
  realmId: string,
  path: 'live' | 'backfill',
  label: string,
  options: Options,
): Promise<Figure[]> {
  const { invoices, customers, timeScale } = options;
  const quickbooks = integrationFor(emulator);
  const tenantId = (await createTenant(db, `QuickBooks bench (${path})`)).id;
  // The push alone: this business runs no invoice workflow (its default is provisioned, then unbound).
  await db.transaction(async (tx) => {
    await ensureDefaultWorkflows(tx, tenantId);
    await tx.query('DELETE FROM workflow_bindings WHERE tenant_id = $1', [tenantId]);
  });
  if (path === 'live') {
    await connect(db, emulator, quickbooks, tenantId, realmId, {});
    await sendInvoices(db, tenantId, options);
  } else {
    await sendInvoices(db, tenantId, options); // before connecting: nothing is enqueued
    await connect(db, emulator, quickbooks, tenantId, realmId, { invoice_scope: 'backfill' });
    await db.transaction((tx) => enqueueQboBackfill(tx, tenantId));
  }
  // The queue's per-realm limit counts job starts per real minute: scaled like the emulator's.
  await setQueueLimit(db, realmKey(realmId), {
    maxConcurrent: 8,
    perMinute: QBO_REQUESTS_PER_MINUTE * timeScale,
  });

  const pacer = new RealmPacer({ ...PACED, minuteMs: 60_000 / timeScale });
  const worker = new Worker({
    db,
    handlers: quickbooksSyncJobHandlers({ db, quickbooks, pacer }),
    concurrency: 8,
    pollIntervalMs: 5,
    leaseMs: 30_000,
  });
  const { ms } = await timed(async () => {
    worker.start();
    for (;;) {
      const [row] = await db.query<{ left: number; failed: number }>(
        `SELECT count(*) FILTER (WHERE state IN ('queued', 'running'))::int AS left,
                count(*) FILTER (WHERE state = 'dead')::int AS failed
         FROM jobs WHERE tenant_id = $1`,
        [tenantId],
      );
      if (row?.failed) throw new Error(`${row.failed} QuickBooks push jobs failed`);
      if (row?.left === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  await worker.stop();
  const [counts] = await db.query<{ synced: number; throttled: number }>(
    `SELECT (SELECT count(*)::int FROM quickbooks_invoice_sync WHERE tenant_id = $1 AND status = 'synced') AS synced,
            (SELECT count(*)::int FROM jobs WHERE tenant_id = $1 AND last_error LIKE '%hrottle%') AS throttled`,
    [tenantId],
  );
  if (counts?.synced !== invoices)
    throw new Error(`only ${counts?.synced ?? 0} of ${invoices} invoices synced`);

  const requests = pacer.requests(realmId);
  const batches = pacer.batches(realmId);
  const perInvoice = requests / invoices;
  const ceiling = Math.min(
    QBO_REQUESTS_PER_MINUTE / perInvoice,
    batches === 0 ? Number.POSITIVE_INFINITY : QBO_BATCHES_PER_MINUTE / (batches / invoices),
  );
  const scaledMinutes = (ms * timeScale) / 60_000;
  const rate = invoices / scaledMinutes;
  const limit =
    batches === 0
      ? `500/${perInvoice.toFixed(2)}`
      : `min(500/${perInvoice.toFixed(2)}, 40/${(batches / invoices).toFixed(3)})`;
  return [
    {
      name: `QuickBooks invoice push, ${path} (${label})`,
      value: `${Math.round(rate)}/min = ${Math.round((rate / ceiling) * 100)}% of ceiling`,
      detail:
        `${invoices} invoices, ${customers} new customers, 5 new items; ceiling ${limit} = ${Math.round(ceiling)} ` +
        `invoices per QuickBooks minute; ${(ms / 1000).toFixed(1)} s at timeScale ${timeScale}, ` +
        `${counts.throttled} jobs throttled`,
    },
    {
      name: `QuickBooks requests per invoice, ${path} (${label})`,
      value: perInvoice.toFixed(2),
      detail: `${requests} requests (${batches} batch) for ${invoices} invoices, customers and items included`,
    },
  ];
}
