import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import type { QboObject } from '../types.js';
import { enqueueQuickBooksCdc } from './cdc.js';
import {
  invoiceInQuickBooks,
  ours,
  type PullHarness,
  quickbooksPayments,
  rest,
  startPullHarness,
  timeline,
} from './test-harness.js';

/**
 * Payments and credits entered in QuickBooks reach ledgerbridge once, whatever the deliveries do
 * (duplicated, reversed, lost: then the CDC sweep), and QuickBooks' changes to them follow.
 */
describe.each(backends)('QuickBooks pull of payments on $name', (backend) => {
  let h: PullHarness;
  beforeAll(async () => {
    h = await startPullHarness(backend);
  });
  afterAll(async () => {
    await h.close();
  });

  it('follows partial and full payments entered in QuickBooks: balance, then paid', async () => {
    const tenant = await h.tenant();
    const { qboInvoiceId } = await invoiceInQuickBooks(h, tenant);
    await h.settle(tenant);
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/payments`, { amount: '40' });
    await h.settle(tenant);
    const partly = await ours(h, tenant, qboInvoiceId);
    expect(partly).toMatchObject({ status: 'partially_paid', amountPaid: 4000, balance: 6000 });
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/payments`, {});
    await h.settle(tenant);
    const paid = await ours(h, tenant, qboInvoiceId);
    expect(paid).toMatchObject({ status: 'paid', amountPaid: 10000, balance: 0 });
    const payments = await quickbooksPayments(h, tenant, paid.id);
    expect(payments.map((payment) => payment.amount)).toEqual(expect.arrayContaining([4000, 6000]));
    expect(payments).toHaveLength(2);
    for (const payment of payments) expect(payment.external_id).toMatch(new RegExp(`^\\d+:${qboInvoiceId}$`));
    const messages = (await timeline(h, tenant, paid.id)).map((event) => event.message);
    expect(messages).toContain('Payment received in QuickBooks: 40.00 USD');
    expect(messages).toContain('Invoice was paid in full');
  });

  it('applies duplicated and reversed deliveries once: the current state, never backwards', async () => {
    const tenant = await h.tenant();
    const { qboInvoiceId } = await invoiceInQuickBooks(h, tenant);
    await h.settle(tenant);
    await h.switches({ duplicate: true, shuffle: 'reverse' });
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/payments`, { amount: '30' });
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/payments`, { amount: '20' });
    await h.settle(tenant);
    await h.switches({ duplicate: false, shuffle: false });
    const invoice = await ours(h, tenant, qboInvoiceId);
    expect(invoice).toMatchObject({ status: 'partially_paid', amountPaid: 5000, balance: 5000 });
    expect((await quickbooksPayments(h, tenant, invoice.id)).map((p) => p.amount).sort()).toEqual([
      2000, 3000,
    ]);
    const received = (await timeline(h, tenant, invoice.id)).filter(
      (event) => event.kind === 'payment.received',
    );
    expect(received).toHaveLength(2);
  });

  it('removes a payment voided in QuickBooks and lowers one whose amount changed: owed again', async () => {
    const tenant = await h.tenant();
    const { qboInvoiceId } = await invoiceInQuickBooks(h, tenant);
    await h.settle(tenant);
    const first = await h.person<{ Payment: QboObject }>(
      tenant.realmId,
      `invoices/${qboInvoiceId}/payments`,
      {
        amount: '60',
      },
    );
    const second = await h.person<{ Payment: QboObject }>(
      tenant.realmId,
      `invoices/${qboInvoiceId}/payments`,
      {},
    );
    await h.settle(tenant);
    expect(await ours(h, tenant, qboInvoiceId)).toMatchObject({ status: 'paid', balance: 0 });

    await rest(h, tenant.realmId, 'payment?operation=update&include=void', {
      Id: second.Payment.Id,
      SyncToken: second.Payment.SyncToken,
      sparse: true,
    });
    await h.settle(tenant);
    const reopened = await ours(h, tenant, qboInvoiceId);
    expect(reopened).toMatchObject({ status: 'partially_paid', amountPaid: 6000, balance: 4000 });
    expect((await quickbooksPayments(h, tenant, reopened.id)).map((p) => p.amount)).toEqual([6000]);

    await rest(h, tenant.realmId, 'payment', {
      ...first.Payment,
      TotalAmt: 25,
      Line: [{ Amount: 25, LinkedTxn: [{ TxnId: qboInvoiceId, TxnType: 'Invoice' }] }],
    });
    await h.settle(tenant);
    expect(await ours(h, tenant, qboInvoiceId)).toMatchObject({ status: 'partially_paid', amountPaid: 2500 });
    const kinds = (await timeline(h, tenant, reopened.id)).map((event) => [event.kind, event.message]);
    expect(kinds).toContainEqual([
      'payment.removed',
      'Payment was voided or deleted in QuickBooks (40.00 USD → 0.00 USD)',
    ]);
    expect(kinds).toContainEqual([
      'payment.adjusted',
      'Payment amount was changed in QuickBooks (60.00 USD → 25.00 USD)',
    ]);
  });

  it('voids an invoice QuickBooks voided after it was partly paid: the payment goes, then the invoice', async () => {
    const tenant = await h.tenant();
    const { qboInvoiceId } = await invoiceInQuickBooks(h, tenant);
    await h.settle(tenant);
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/payments`, { amount: '10' });
    await h.settle(tenant);
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/void`);
    await h.settle(tenant);
    const invoice = await ours(h, tenant, qboInvoiceId);
    expect(invoice).toMatchObject({ status: 'void', amountPaid: 0 });
    expect(await quickbooksPayments(h, tenant, invoice.id)).toEqual([]);
  });

  it('recognises a payment pushed from ledgerbridge and does not record it twice', async () => {
    const tenant = await h.tenant();
    const { qboInvoiceId } = await invoiceInQuickBooks(h, tenant);
    await h.settle(tenant);
    const invoice = await ours(h, tenant, qboInvoiceId);
    const recorded = await tenant.request('POST', '/api/v1/payments', {
      invoice_id: invoice.id,
      amount: 3000,
      currency: 'USD',
      method: 'bank_transfer',
    });
    expect(recorded.statusCode, recorded.body).toBe(201);
    const paymentId = recorded.json<{ id: string }>().id;
    await h.settle(tenant);
    const link = await h.api.db.query<{ external_id: string }>(
      `SELECT external_id FROM external_links WHERE tenant_id = $1 AND provider = 'quickbooks'
         AND local_type = 'payment' AND local_id = $2`,
      [tenant.tenantId, paymentId],
    );
    expect(link, 'the push created the QuickBooks payment').toHaveLength(1);
    const after = await ours(h, tenant, qboInvoiceId);
    expect(after).toMatchObject({ status: 'partially_paid', amountPaid: 3000, balance: 7000 });
    expect(await quickbooksPayments(h, tenant, invoice.id)).toEqual([]);
    const notes = await h.api.db.query<{ note: string }>(
      `SELECT note FROM webhook_inbox WHERE tenant_id = $1 AND type LIKE 'Payment.%'`,
      [tenant.tenantId],
    );
    expect(notes.map((row) => row.note)).toContain(
      `QuickBooks payment ${link[0]?.external_id} is ledgerbridge payment ${paymentId}, pushed from here`,
    );
  });

  it('applies a credit memo applied to an invoice as a credit that reduces the balance', async () => {
    const tenant = await h.tenant();
    const { qboInvoiceId, customerId, invoice } = await invoiceInQuickBooks(h, tenant);
    await h.settle(tenant);
    const sales = (invoice.Line as QboObject[]).find((line) => line.DetailType === 'SalesItemLineDetail');
    const itemRef = (sales?.SalesItemLineDetail as QboObject | undefined)?.ItemRef;
    const { CreditMemo } = await rest(h, tenant.realmId, 'creditmemo', {
      CustomerRef: { value: customerId },
      Line: [
        {
          Amount: 30,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: itemRef, Qty: 1, UnitPrice: 30 },
        },
      ],
    });
    await h.settle(tenant);
    expect(await ours(h, tenant, qboInvoiceId)).toMatchObject({ status: 'open', balance: 10000 });
    await rest(h, tenant.realmId, 'payment', {
      CustomerRef: { value: customerId },
      TotalAmt: 0,
      Line: [
        { Amount: 30, LinkedTxn: [{ TxnId: qboInvoiceId, TxnType: 'Invoice' }] },
        { Amount: 30, LinkedTxn: [{ TxnId: CreditMemo?.Id, TxnType: 'CreditMemo' }] },
      ],
    });
    await h.settle(tenant);
    const credited = await ours(h, tenant, qboInvoiceId);
    expect(credited).toMatchObject({ status: 'partially_paid', amountPaid: 3000, balance: 7000 });
    const [payment] = await h.api.db.query<{ method: string; memo: string }>(
      `SELECT method, memo FROM payments WHERE tenant_id = $1 AND invoice_id = $2`,
      [tenant.tenantId, credited.id],
    );
    expect(payment).toEqual({
      method: 'other',
      memo: `Credit applied in QuickBooks from credit memo ${CreditMemo?.Id}`,
    });
    expect((await timeline(h, tenant, credited.id)).map((event) => event.message)).toContain(
      'Credit applied in QuickBooks: 30.00 USD',
    );
  });

  it('catches up through CDC when a notification never came', async () => {
    const tenant = await h.tenant();
    const { qboInvoiceId } = await invoiceInQuickBooks(h, tenant);
    await h.settle(tenant);
    // Intuit loses every notification of the next changes: the payment and the invoice's new balance.
    await h.switches({ drop_next: 1000 });
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/payments`, { amount: '55' });
    await h.settle(tenant);
    await h.switches({ drop_next: 0 });
    expect(h.emulator.webhooks.dropped().length).toBeGreaterThan(0);
    expect(await ours(h, tenant, qboInvoiceId)).toMatchObject({ status: 'open', amountPaid: 0 });

    const [connection] = await h.api.db.query<{ id: string }>(
      `SELECT id FROM integration_connections WHERE tenant_id = $1 AND provider = 'quickbooks'`,
      [tenant.tenantId],
    );
    await h.api.db.transaction((tx) =>
      enqueueQuickBooksCdc(tx, tenant.tenantId, String(connection?.id), 'test-1'),
    );
    await h.settle(tenant);
    const caught = await ours(h, tenant, qboInvoiceId);
    expect(caught).toMatchObject({ status: 'partially_paid', amountPaid: 5500, balance: 4500 });
    const [cursor] = await h.api.db.query<{ last_counts: Record<string, number> }>(
      `SELECT last_counts FROM quickbooks_cdc_cursors WHERE tenant_id = $1`,
      [tenant.tenantId],
    );
    expect(cursor?.last_counts.Payment).toBeGreaterThan(0);
    // A second sweep over the same window changes nothing.
    await h.api.db.transaction((tx) =>
      enqueueQuickBooksCdc(tx, tenant.tenantId, String(connection?.id), 'test-2'),
    );
    await h.settle(tenant);
    expect(await quickbooksPayments(h, tenant, caught.id)).toHaveLength(1);
  });
});
