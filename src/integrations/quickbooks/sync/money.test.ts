import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import { insertPayoutItem, markPaymentsPaidOut, upsertPayout } from '../../stripe/inbound/store.js';
import { findLinkByLocal } from '../../../store/repositories/external-links.js';
import { enqueueQboDeposit } from './enqueue.js';
import { type PushHarness, type PushTenant, startPushHarness } from './test-harness.js';

interface InvoiceJson {
  id: string;
  number: number;
  total: number;
}

/** Payments, sales receipts, refunds and deposits pushed to the QuickBooks emulator over real HTTP. */
describe.each(backends)('QuickBooks money push on $name', (backend) => {
  let h: PushHarness;
  beforeAll(async () => {
    h = await startPushHarness(backend);
  });
  afterAll(() => h.close());

  const link = (t: PushTenant, localType: 'invoice' | 'payment' | 'refund' | 'payout', localId: string) =>
    findLinkByLocal(h.api.db, { tenantId: t.tenantId, provider: 'quickbooks', localType, localId });

  async function sentInvoice(t: PushTenant, email: string, unitPrice = 10_000) {
    const contact = await t.post<{ id: string }>('/api/v1/contacts', {
      kind: 'organization',
      name: email,
      email,
    });
    const invoice = await t.post<InvoiceJson>('/api/v1/invoices', {
      contact_id: contact.id,
      currency: 'USD',
      lines: [{ description: 'Work', quantity: '1', unit_price: unitPrice }],
    });
    await t.post(`/api/v1/invoices/${invoice.id}/send`, {});
    return { contact, invoice };
  }

  const pay = (t: PushTenant, body: Record<string, unknown>) =>
    t.post<{ id: string }>('/api/v1/payments', { currency: 'USD', method: 'card', ...body });

  it('records payments against the invoice: a partial one lowers the Balance, the last one clears it', async () => {
    const t = await h.tenant();
    const { invoice } = await sentInvoice(t, 'ap@acme.test');
    const first = await pay(t, {
      invoice_id: invoice.id,
      amount: 4_000,
      reference: 'CHK-1001',
      method: 'check',
    });
    await h.runJobs(t);
    const qboInvoiceId = (await link(t, 'invoice', invoice.id))?.externalId;
    let [replica] = await t.all('Invoice', `Id = '${qboInvoiceId}'`);
    expect(replica?.Balance).toBe(60);

    const second = await pay(t, {
      invoice_id: invoice.id,
      amount: 6_000,
      source: 'stripe',
      external_id: 'pi_second',
    });
    await h.runJobs(t);
    [replica] = await t.all('Invoice', `Id = '${qboInvoiceId}'`);
    expect(replica?.Balance).toBe(0);
    const payments = await t.all('Payment');
    expect(payments).toHaveLength(2);
    for (const [payment, amount] of [
      [first, 40],
      [second, 60],
    ] as const) {
      const qboId = (await link(t, 'payment', payment.id))?.externalId;
      const qbo = payments.find((p) => p.Id === qboId);
      expect(qbo).toMatchObject({
        TotalAmt: amount,
        Line: [{ Amount: amount, LinkedTxn: [{ TxnId: qboInvoiceId, TxnType: 'Invoice' }] }],
      });
      expect(String(qbo?.PrivateNote)).toContain(`ledgerbridge:${payment.id}`);
    }
  });

  it('never pushes a payment that came from QuickBooks (no echo)', async () => {
    const t = await h.tenant();
    const { invoice } = await sentInvoice(t, 'ap@echo.test');
    await pay(t, { invoice_id: invoice.id, amount: 10_000, source: 'quickbooks', external_id: '999' });
    await h.runJobs(t);
    expect(await t.all('Payment')).toHaveLength(0);
    const [jobs] = await h.api.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1 AND type = 'quickbooks.sync.payment'",
      [t.tenantId],
    );
    expect(jobs?.n).toBe(0);
  });

  it('turns a standalone payment into a SalesReceipt for the customer matched by email, and a refund into a RefundReceipt', async () => {
    const t = await h.tenant();
    const existing = await t.qbo.create('Customer', {
      DisplayName: 'Member One',
      PrimaryEmailAddr: { Address: 'one@members.test' },
    });
    const member = await t.post<{ id: string }>('/api/v1/contacts', {
      kind: 'individual',
      name: 'M. One',
      email: 'one@members.test',
    });
    const payment = await pay(t, {
      contact_id: member.id,
      amount: 2_500,
      purpose: 'membership',
      memo: 'Annual dues',
    });
    await h.runJobs(t);
    const receiptId = (await link(t, 'payment', payment.id))?.externalId;
    const [receipt] = await t.all('SalesReceipt', `Id = '${receiptId}'`);
    expect(receipt).toMatchObject({ TotalAmt: 25, CustomerRef: { value: existing.Id } });
    expect(receipt?.Line[0]?.SalesItemLineDetail?.ItemRef?.name).toBe('Memberships (ledgerbridge)');

    const refund = await t.post<{ id: string }>(`/api/v1/payments/${payment.id}/refunds`, {
      amount: 1_000,
      reason: 'Pro rata',
    });
    await h.runJobs(t);
    const refundId = (await link(t, 'refund', refund.id))?.externalId;
    const [refundReceipt] = await t.all('RefundReceipt', `Id = '${refundId}'`);
    expect(refundReceipt).toMatchObject({ TotalAmt: 10, CustomerRef: { value: existing.Id } });
    expect(String(refundReceipt?.PrivateNote)).toContain(`ledgerbridge:${refund.id}`);
  });

  it('makes a Deposit for a paid Stripe payout: its payments, minus fees and refunds, equals the payout', async () => {
    const t = await h.tenant();
    const [checking] = await t.all('Account', "Name = 'Checking'");
    const [fees] = await t.all('Account', "Name = 'Stripe Fees'");
    await t.patch('/api/v1/integrations/quickbooks/settings', {
      create_deposits: true,
      deposit_account_id: checking?.Id,
      fee_account_id: fees?.Id,
    });
    const a = await sentInvoice(t, 'ap@one.test', 10_000);
    const b = await sentInvoice(t, 'ap@two.test', 5_000);
    const p1 = await pay(t, {
      invoice_id: a.invoice.id,
      amount: 10_000,
      source: 'stripe',
      external_id: 'pi_1',
    });
    const p2 = await pay(t, {
      invoice_id: b.invoice.id,
      amount: 5_000,
      source: 'stripe',
      external_id: 'pi_2',
    });
    const p3 = await pay(t, {
      contact_id: a.contact.id,
      amount: 2_000,
      source: 'stripe',
      external_id: 'pi_3',
      purpose: 'order_form',
    });

    // payout.paid as the Stripe inbound stores it: 170.00 gross, 5.23 fees, a 10.00 refund → 154.77.
    const payoutId = 'po_test_1';
    const items = [
      { id: 'txn_1', type: 'charge', amount: 10_000, fee: 320, paymentId: p1.id },
      { id: 'txn_2', type: 'charge', amount: 5_000, fee: 175, paymentId: p2.id },
      { id: 'txn_3', type: 'charge', amount: 2_000, fee: 88, paymentId: p3.id },
      { id: 'txn_4', type: 'refund', amount: -1_000, fee: -60, paymentId: null },
    ];
    const net = items.reduce((sum, item) => sum + item.amount - item.fee, 0);
    await h.api.db.transaction(async (tx) => {
      await upsertPayout(tx, t.tenantId, {
        id: payoutId,
        account: 'acct_test',
        amount: net,
        currency: 'USD',
        status: 'paid',
        arrivalDate: new Date('2030-02-01T00:00:00Z'),
        automatic: true,
        gross: 16_000,
        fee: 523,
        net,
      });
      for (const item of items) {
        await insertPayoutItem(tx, t.tenantId, payoutId, {
          balanceTransactionId: item.id,
          type: item.type,
          sourceId: item.id.replace('txn', item.type === 'refund' ? 're' : 'ch'),
          amount: item.amount,
          fee: item.fee,
          net: item.amount - item.fee,
          currency: 'USD',
          paymentId: item.paymentId,
          refundId: null,
        });
      }
      await markPaymentsPaidOut(tx, t.tenantId, payoutId, [p1.id, p2.id, p3.id]);
      expect(await enqueueQboDeposit(tx, t.tenantId, payoutId)).toBe(true);
    });
    // The deposit may run before the payments' jobs: it waits (retries later) until they are all in.
    await h.runJobs(t, { fastForward: true });

    const depositJobs = await h.api.db.query<{ state: string }>(
      "SELECT state FROM jobs WHERE tenant_id = $1 AND type = 'quickbooks.sync.deposit'",
      [t.tenantId],
    );
    expect(depositJobs).toEqual([{ state: 'succeeded' }]);
    const depositId = (await link(t, 'payout', payoutId))?.externalId;
    const [deposit] = await t.all('Deposit', `Id = '${depositId}'`);
    expect(Math.round(Number(deposit?.TotalAmt) * 100)).toBe(net);
    expect(deposit?.DepositToAccountRef?.value).toBe(checking?.Id);
    const linked = (deposit?.Line ?? []).flatMap(
      (line: { LinkedTxn?: { TxnId: string; TxnType: string }[] }) => line.LinkedTxn ?? [],
    );
    const expected = await Promise.all(
      [p1, p2, p3].map(async (p) => (await link(t, 'payment', p.id))?.externalId),
    );
    expect(linked.map((l: { TxnId: string }) => l.TxnId).sort()).toEqual([...expected].sort());
    expect(linked.map((l: { TxnType: string }) => l.TxnType).sort()).toEqual([
      'Payment',
      'Payment',
      'SalesReceipt',
    ]);
    const feeLine = deposit?.Line.find((line: { Amount: number }) => line.Amount === -5.23);
    expect(feeLine?.DepositLineDetail?.AccountRef?.value).toBe(fees?.Id);
  });
});
