import fc from 'fast-check';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeObject } from '../../../../emulators/stripe/kernel/state.js';
import { backends } from '../../../../test/databases.js';
import { type SyncHarness, type SyncTenant, startSyncHarness } from '../../../../test/stripe-sync.js';
import { Worker } from '../../../jobs/worker.js';
import type { Db } from '../../../store/db.js';
import { findLinkByLocal } from '../../../store/repositories/external-links.js';
import { STRIPE_PUSH_INVOICE_JOB, stripeSyncJobHandlers } from './index.js';
import { stripeClientFor } from '../../../../emulators/stripe/sdk.js';

type Invoice = Stripe.Invoice & StripeObject;

interface InvoiceJson {
  id: string;
  number: number;
  total: number;
  payment_link_url: string | null;
  stripe_sync: { status: string | null; error: string | null };
}

/** Failures on the way to Stripe: 500s, timeouts, 429s, a dying worker, and a total that would differ. */
describe.each(backends)('Stripe outbound sync under faults on $name', (backend) => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness(backend);
  });
  afterAll(() => h.close());

  /** A contact with two services and an invoice of three lines, sent (the push job is queued). */
  async function sentInvoice(t: SyncTenant) {
    const contact = await t.post<{ id: string }>('/api/v1/contacts', {
      kind: 'individual',
      name: 'Ada',
      email: `ada-${Math.random().toString(36).slice(2, 8)}@example.test`,
    });
    const services = [
      await t.post<{ id: string }>('/api/v1/services', {
        code: 'DESIGN',
        name: 'Design',
        unit_price: 9_000,
        currency: 'USD',
      }),
      await t.post<{ id: string }>('/api/v1/services', {
        code: 'PRINT',
        name: 'Printing',
        unit_price: 1_234,
        currency: 'USD',
      }),
    ];
    const invoice = await t.post<InvoiceJson>('/api/v1/invoices', {
      contact_id: contact.id,
      currency: 'USD',
      lines: [
        {
          description: 'Design',
          service_id: services[0]?.id,
          quantity: '2.75',
          unit_price: 9_000,
          tax_rate: '7.25',
        },
        {
          description: 'Printing',
          service_id: services[1]?.id,
          quantity: '40',
          unit_price: 1_234,
          discount: { kind: 'percent', rate: '12.5' },
          tax_rate: '20',
          tax_inclusive: true,
        },
        { description: 'Courier', quantity: '1', unit_price: 1_999 },
      ],
    });
    await t.post(`/api/v1/invoices/${invoice.id}/send`, {});
    return { contact, services, invoice };
  }

  async function expectExactlyOnce(t: SyncTenant, invoice: InvoiceJson, services: number) {
    const invoices = t.objects<Invoice>('invoice');
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ status: 'open', total: invoice.total, amount_due: invoice.total });
    expect(invoices[0]?.lines.data).toHaveLength(3);
    expect(t.objects('customer')).toHaveLength(1);
    expect(t.objects('product')).toHaveLength(services);
    const stored = await t.get<InvoiceJson>(`/api/v1/invoices/${invoice.id}`);
    expect(stored.stripe_sync).toEqual({ status: 'synced', error: null });
    expect(stored.payment_link_url).toBe(invoices[0]?.hosted_invoice_url);
    const timeline = await t.get<{ data: { message: string }[] }>(`/api/v1/invoices/${invoice.id}/timeline`);
    const messages = timeline.data.map((e) => e.message);
    expect(messages.filter((m) => m === 'Invoice was created in Stripe')).toHaveLength(1);
    expect(messages.filter((m) => m === 'Payment link was created')).toHaveLength(1);
  }

  it('survives a storm of 500s: retries, and still exactly one invoice, customer and product each', async () => {
    const t = await h.tenant();
    const { invoice, services } = await sentInvoice(t);
    h.emulator.traffic.addFault({
      kind: 'error',
      count: 3,
      pathPrefix: '/v1/invoices',
      method: undefined,
      latencyMs: 0,
    });
    h.emulator.traffic.addFault({
      kind: 'error',
      count: 2,
      pathPrefix: '/v1/products',
      method: 'POST',
      latencyMs: 0,
    });
    h.emulator.traffic.addFault({
      kind: 'error',
      count: 1,
      pathPrefix: '/v1/customers',
      method: 'POST',
      latencyMs: 0,
    });
    try {
      await h.runJobs(t);
    } finally {
      h.emulator.traffic.clearFaults();
    }
    expect(t.requests().filter((r) => r.status === 500).length).toBeGreaterThanOrEqual(5);
    await expectExactlyOnce(t, invoice, services.length);
  });

  it('survives timeouts, including a request Stripe carried out after we stopped waiting', async () => {
    const t = await h.tenant();
    const { invoice, services } = await sentInvoice(t);
    await h.runJobs(t, { stripeTimeoutMs: 300 }); // customer, catalog and tax rates linked first
    expect(t.objects<Invoice>('invoice')).toHaveLength(1);
    // A fresh invoice for the faults.
    const second = await t.post<InvoiceJson>('/api/v1/invoices', {
      contact_id: (await t.get<{ contact_id: string }>(`/api/v1/invoices/${invoice.id}`)).contact_id,
      currency: 'USD',
      lines: [
        {
          description: 'Design',
          service_id: services[0]?.id,
          quantity: '1.5',
          unit_price: 9_000,
          tax_rate: '7.25',
        },
        { description: 'Courier', quantity: '3', unit_price: 1_999 },
      ],
    });
    await t.post(`/api/v1/invoices/${second.id}/send`, {});
    // Two creates hang until the client gives up; then add_lines runs at Stripe only after it gave up.
    h.emulator.traffic.addFault({
      kind: 'timeout',
      count: 2,
      pathPrefix: '/v1/invoices',
      method: 'POST',
      latencyMs: 500,
    });
    h.emulator.traffic.addFault({
      kind: 'latency',
      count: 1,
      pathPrefix: '/v1/invoices/',
      method: 'POST',
      latencyMs: 700,
    });
    try {
      await h.runJobs(t, { stripeTimeoutMs: 300 });
    } finally {
      h.emulator.traffic.clearFaults();
    }
    const pushed = t
      .objects<Invoice>('invoice')
      .filter((i) => i.metadata?.ledgerbridge_invoice_id === second.id);
    expect(pushed).toHaveLength(1);
    expect(pushed[0]).toMatchObject({ status: 'open', total: second.total });
    expect(pushed[0]?.lines.data).toHaveLength(2);
    expect(t.objects('customer')).toHaveLength(1);
    const creates = t.requests().filter((r) => r.method === 'POST' && r.path === '/v1/invoices');
    // The same key every time: a timeout never changes it.
    const keys = new Set(
      creates.filter((r) => r.idempotencyKey?.includes(second.id)).map((r) => r.idempotencyKey),
    );
    expect(keys.size).toBe(1);
    expect((await t.get<InvoiceJson>(`/api/v1/invoices/${second.id}`)).stripe_sync.status).toBe('synced');
  });

  it('rides out a 429 storm: every object made once, every invoice pushed', async () => {
    const t = await h.tenant();
    const first = await sentInvoice(t);
    const second = await t.post<InvoiceJson>('/api/v1/invoices', {
      contact_id: first.contact.id,
      currency: 'USD',
      lines: [
        {
          description: 'Design',
          service_id: first.services[0]?.id,
          quantity: '0.4',
          unit_price: 9_000,
          tax_rate: '7.25',
        },
      ],
    });
    await t.post(`/api/v1/invoices/${second.id}/send`, {});
    h.emulator.traffic.ratePerSecond = 3;
    try {
      await h.runJobs(t, { timeoutMs: 50_000 });
    } finally {
      h.emulator.traffic.ratePerSecond = 0;
    }
    expect(t.requests().some((r) => r.status === 429)).toBe(true);
    expect(t.objects<Invoice>('invoice')).toHaveLength(2);
    expect(t.objects('customer')).toHaveLength(1);
    expect(t.objects('product')).toHaveLength(2);
    expect(t.objects('tax_rate')).toHaveLength(2);
    for (const ours of [first.invoice, second]) {
      const pushed = t
        .objects<Invoice>('invoice')
        .find((i) => i.metadata?.ledgerbridge_invoice_id === ours.id);
      expect(pushed?.total).toBe(ours.total);
    }
  }, 60_000);

  it('finishes the push of a worker that died mid-call, with exactly one Stripe invoice', async () => {
    const t = await h.tenant();
    const { invoice, services } = await sentInvoice(t);
    const push = await h.api.db.query<{ id: string }>(
      'SELECT id FROM jobs WHERE tenant_id = $1 AND type = $2',
      [t.tenantId, STRIPE_PUSH_INVOICE_JOB],
    );
    expect(push).toHaveLength(1);
    const frozen = freezable(h.api.db);
    const doomed = new Worker({
      db: h.api.db,
      handlers: stripeSyncJobHandlers({ db: frozen.db, stripe: h.integration() }),
      pollIntervalMs: 10,
      leaseMs: 500,
      workerId: 'doomed',
    });
    // The create reaches Stripe, which takes its time; the worker dies before it hears back.
    h.emulator.traffic.addFault({
      kind: 'latency',
      count: 1,
      pathPrefix: '/v1/invoices',
      method: 'POST',
      latencyMs: 300,
    });
    doomed.start();
    const deadline = Date.now() + 20_000;
    while (!t.requests().some((r) => r.method === 'POST' && r.path === '/v1/invoices')) {
      if (Date.now() > deadline) throw new Error('the doomed worker never reached the invoice create');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    doomed.crash();
    frozen.freeze(); // what was in flight at Stripe finishes there; our side never writes again
    await new Promise((resolve) => setTimeout(resolve, 700)); // the lease expires
    expect(
      await findLinkByLocal(h.api.db, {
        tenantId: t.tenantId,
        provider: 'stripe',
        localType: 'invoice',
        localId: invoice.id,
      }),
    ).toBeUndefined();
    expect(t.objects<Invoice>('invoice')).toHaveLength(1); // created at Stripe, never linked by us

    await h.runJobs(t);
    await expectExactlyOnce(t, invoice, services.length);
    const [job] = await h.api.db.query<{ state: string; attempts: number }>(
      'SELECT state, attempts FROM jobs WHERE id = $1',
      [push[0]?.id],
    );
    expect(job).toEqual({ state: 'succeeded', attempts: 2 });
  });

  it('refuses to send an invoice whose Stripe total would differ by a cent: draft deleted, error on the invoice', async () => {
    const t = await h.tenant();
    const contact = await t.post<{ id: string }>('/api/v1/contacts', {
      kind: 'individual',
      name: 'Bo',
      email: 'bo@example.test',
    });
    // A corrupted mapping: our 10% exclusive rate points at a Stripe rate of 10.01%.
    const direct = stripeClientFor(h.emulator.url, h.emulator.secretKey, { maxNetworkRetries: 2 });
    const wrong = await direct.taxRates.create(
      { display_name: 'Tax', percentage: 10.01, inclusive: false },
      { stripeAccount: t.account.id },
    );
    await h.api.db.query(
      `INSERT INTO stripe_tax_rates (tenant_id, account, percentage, inclusive, tax_rate_id) VALUES ($1, $2, 10, false, $3)`,
      [t.tenantId, t.account.id, wrong.id],
    );
    const invoice = await t.post<InvoiceJson>('/api/v1/invoices', {
      contact_id: contact.id,
      currency: 'USD',
      lines: [{ description: 'Work', quantity: '1', unit_price: 10_000, tax_rate: '10' }],
    });
    await t.post(`/api/v1/invoices/${invoice.id}/send`, {});
    await h.runJobs(t);

    const message = `Stripe total 110.01 USD differs from ledgerbridge total 110.00 USD on invoice #${invoice.number}`;
    const stored = await t.get<InvoiceJson>(`/api/v1/invoices/${invoice.id}`);
    expect(stored.stripe_sync).toEqual({ status: 'failed', error: message });
    expect(stored.payment_link_url).toBeNull();
    expect(t.objects<Invoice>('invoice')).toHaveLength(0); // the draft was deleted, nothing was sent
    expect(t.requests().some((r) => r.path.endsWith('/finalize') || r.path.endsWith('/send'))).toBe(false);
    const timeline = await t.get<{ data: { message: string }[] }>(`/api/v1/invoices/${invoice.id}/timeline`);
    expect(timeline.data.map((e) => e.message)).toContain(`Invoice was not sent to Stripe: ${message}`);
    const [job] = await h.api.db.query<{ state: string; last_error: string }>(
      'SELECT state, last_error FROM jobs WHERE tenant_id = $1 AND type = $2',
      [t.tenantId, STRIPE_PUSH_INVOICE_JOB],
    );
    expect(job).toEqual({ state: 'dead', last_error: `PermanentJobError: ${message}` });
    expect(
      await findLinkByLocal(h.api.db, {
        tenantId: t.tenantId,
        provider: 'stripe',
        localType: 'invoice',
        localId: invoice.id,
      }),
    ).toBeUndefined();
  });

  it('matches Stripe to the unit on random invoices (property, pushed to the emulator)', async () => {
    const t = await h.tenant();
    const contact = await t.post<{ id: string }>('/api/v1/contacts', {
      kind: 'organization',
      name: 'Random Co',
    });
    const service = await t.post<{ id: string }>('/api/v1/services', {
      code: 'ANY',
      name: 'Anything',
      unit_price: 100,
      currency: 'USD',
    });
    const line = fc.record({
      quantity: fc.constantFrom('1', '2', '0.5', '1.5', '0.333', '2.125', '7', '0.001', '13.37'),
      unit_price: fc.integer({ min: 0, max: 250_000 }),
      withService: fc.boolean(),
      discount: fc.option(fc.constantFrom('5', '10', '12.5', '33.333', '100'), { nil: undefined }),
      tax_rate: fc.option(fc.constantFrom('5', '7.25', '8.875', '19', '20', '0.001', '33.3333'), {
        nil: undefined,
      }),
      tax_inclusive: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 6 }), async (lines) => {
        const invoice = await t.post<InvoiceJson>('/api/v1/invoices', {
          contact_id: contact.id,
          currency: 'USD',
          lines: lines.map((l, i) => ({
            description: `Line ${i + 1}`,
            quantity: l.quantity,
            unit_price: l.unit_price,
            ...(l.withService ? { service_id: service.id } : {}),
            ...(l.discount === undefined ? {} : { discount: { kind: 'percent', rate: l.discount } }),
            ...(l.tax_rate === undefined ? {} : { tax_rate: l.tax_rate, tax_inclusive: l.tax_inclusive }),
          })),
        });
        await t.post(`/api/v1/invoices/${invoice.id}/send`, {});
        await h.runJobs(t);
        const pushed = t
          .objects<Invoice>('invoice')
          .find((i) => i.metadata?.ledgerbridge_invoice_id === invoice.id);
        // Stripe marks a finalized invoice of nothing paid at once, as it should.
        expect(pushed).toMatchObject({
          status: invoice.total === 0 ? 'paid' : 'open',
          total: invoice.total,
          amount_due: invoice.total,
        });
        expect((await t.get<InvoiceJson>(`/api/v1/invoices/${invoice.id}`)).stripe_sync.status).toBe(
          'synced',
        );
      }),
      { numRuns: 20 },
    );
  }, 60_000);
});

/** A Db whose every call hangs forever once frozen: a process that died, as far as its database goes. */
function freezable(db: Db): { db: Db; freeze(): void } {
  let frozen = false;
  const never = new Promise<never>(() => undefined);
  const wrapped = new Proxy(db, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        frozen ? never : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return { db: wrapped, freeze: () => void (frozen = true) };
}
