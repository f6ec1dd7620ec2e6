import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import { enqueueQboBackfill } from './enqueue.js';
import { type PushHarness, startPushHarness } from './test-harness.js';

/** invoice_scope 'backfill': invoices sent before pushing was on go over in batches of 30. */
describe.each(backends)('QuickBooks backfill on $name', (backend) => {
  let h: PushHarness;
  beforeAll(async () => {
    h = await startPushHarness(backend);
  });
  afterAll(() => h.close());

  it('pushes every earlier invoice in batches, without duplicates even when a batch answer is lost', async () => {
    const t = await h.tenant({ invoices_push: false });
    const known = await t.qbo.create('Customer', {
      DisplayName: 'Known Co',
      PrimaryEmailAddr: { Address: 'ap@known.test' },
    });
    const contacts = [];
    for (const email of ['ap@known.test', 'ap@new-1.test', 'ap@new-2.test']) {
      contacts.push(
        await t.post<{ id: string }>('/api/v1/contacts', { kind: 'organization', name: email, email }),
      );
    }
    const invoices: { id: string; number: number; total: number }[] = [];
    for (let i = 0; i < 35; i += 1) {
      const invoice = await t.post<{ id: string; number: number; total: number }>('/api/v1/invoices', {
        contact_id: contacts[i % 3]?.id,
        currency: 'USD',
        lines: [{ description: 'Work', quantity: '1.25', unit_price: 1_000 + i, tax_rate: '8.875' }],
      });
      await t.post(`/api/v1/invoices/${invoice.id}/send`, {});
      invoices.push(invoice);
    }
    const paid = invoices[0];
    if (!paid) throw new Error('no invoice');
    await t.post('/api/v1/payments', {
      invoice_id: paid.id,
      amount: paid.total,
      currency: 'USD',
      method: 'check',
    });
    await h.runJobs(t);
    expect(await t.all('Invoice')).toHaveLength(0); // pushing was off

    await t.patch('/api/v1/integrations/quickbooks/settings', {
      invoices_push: true,
      invoice_scope: 'backfill',
    });
    await h.fault({
      kind: 'lost_response',
      count: 1,
      holdMs: 50,
      method: 'POST',
      entity: 'batch',
      realmId: t.realmId,
    });
    // Choosing backfill enqueued it; once per connection, so asking again adds nothing.
    expect(await h.api.db.transaction((tx) => enqueueQboBackfill(tx, t.tenantId))).toBe(false);
    await h.runJobs(t, { fastForward: true });

    const replicas = await t.all('Invoice');
    expect(replicas).toHaveLength(35);
    for (const invoice of invoices) {
      const mine = replicas.filter((r) => r.DocNumber === String(invoice.number));
      expect(mine).toHaveLength(1);
      expect(Math.round(Number(mine[0]?.TotalAmt) * 100)).toBe(invoice.total);
    }
    const customers = await t.all('Customer');
    expect(customers).toHaveLength(3);
    expect(replicas.filter((r) => r.CustomerRef?.value === known.Id)).toHaveLength(12);
    const payments = await t.all('Payment');
    expect(payments).toHaveLength(1);
    expect(payments[0]?.TotalAmt).toBe(paid.total / 100);
    const [job] = await h.api.db.query<{ state: string; result: { invoices: number; found: number } }>(
      "SELECT state, result FROM jobs WHERE tenant_id = $1 AND type = 'quickbooks.sync.backfill'",
      [t.tenantId],
    );
    expect(job?.state).toBe('succeeded');
    expect((job?.result.invoices ?? 0) + (job?.result.found ?? 0)).toBe(35);
  });
});
