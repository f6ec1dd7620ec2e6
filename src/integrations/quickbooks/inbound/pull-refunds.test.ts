import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import { findLinkByLocal } from '../../../store/repositories/external-links.js';
import type { QboObject } from '../types.js';
import { type PullHarness, type PullTenant, rest, startPullHarness, timeline } from './test-harness.js';

/**
 * Refunds a person enters in QuickBooks (RefundReceipt) reach ledgerbridge as refunds of the payment
 * they give back, when exactly one payment can be the one; otherwise the invoices say so. Refunds
 * ledgerbridge pushed come back through the same notifications and are not recorded twice.
 */
describe.each(backends)('QuickBooks pull of refund receipts on $name', (backend) => {
  let h: PullHarness;
  beforeAll(async () => {
    h = await startPullHarness(backend);
  });
  afterAll(async () => {
    await h.close();
  });

  async function contactHere(tenant: PullTenant) {
    const tag = Math.random().toString(36).slice(2, 8);
    const created = await tenant.request('POST', '/api/v1/contacts', {
      kind: 'organization',
      name: `Umbrella ${tag}`,
      email: `ap-${tag}@umbrella.test`,
    });
    expect(created.statusCode, created.body).toBe(201);
    return created.json<{ id: string }>().id;
  }

  /** An invoice sent here and paid here (both pushed to QuickBooks); our payment's id. */
  async function paidHere(tenant: PullTenant, contactId: string, amount = 10_000) {
    const created = await tenant.request('POST', '/api/v1/invoices', {
      contact_id: contactId,
      currency: 'USD',
      due_date: '2030-01-31',
      lines: [{ description: 'Work', quantity: '1', unit_price: amount }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const invoiceId = created.json<{ id: string }>().id;
    const sent = await tenant.request('POST', `/api/v1/invoices/${invoiceId}/send`, {});
    expect(sent.statusCode, sent.body).toBeLessThan(300);
    const paid = await tenant.request('POST', '/api/v1/payments', {
      invoice_id: invoiceId,
      amount,
      currency: 'USD',
      method: 'bank_transfer',
    });
    expect(paid.statusCode, paid.body).toBe(201);
    await h.settle(tenant);
    return { invoiceId, paymentId: paid.json<{ id: string }>().id };
  }

  /** A person pays money back in QuickBooks: a RefundReceipt for the contact's customer, from the bank. */
  async function refundReceipt(tenant: PullTenant, contactId: string, amount: number) {
    const customer = await findLinkByLocal(h.api.db, {
      tenantId: tenant.tenantId,
      provider: 'quickbooks',
      localType: 'contact',
      localId: contactId,
    });
    const query = await fetch(
      `${h.emulator.url}/v3/company/${tenant.realmId}/query?query=${encodeURIComponent("select * from Account where AccountType = 'Bank'")}`,
      {
        headers: {
          authorization: `Bearer ${h.emulator.tokenFor(tenant.realmId)}`,
          accept: 'application/json',
        },
      },
    );
    const banks = ((await query.json()) as { QueryResponse: { Account: QboObject[] } }).QueryResponse.Account;
    const { RefundReceipt } = await rest(h, tenant.realmId, 'refundreceipt', {
      CustomerRef: { value: customer?.externalId },
      DepositToAccountRef: { value: banks[0]?.Id },
      PrivateNote: 'Goodwill',
      Line: [{ Amount: amount, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }],
    });
    return { id: String(RefundReceipt?.Id), syncToken: String(RefundReceipt?.SyncToken) };
  }

  const refundsOf = (tenant: PullTenant, paymentId: string) =>
    h.api.db.query<{ amount: number; source: string; external_id: string | null }>(
      `SELECT amount::int AS amount, source, external_id FROM refunds
       WHERE tenant_id = $1 AND payment_id = $2 ORDER BY created_at, id`,
      [tenant.tenantId, paymentId],
    );
  const sweep = (tenant: PullTenant, key: string) => h.sweep(tenant, key);

  it("records a refund entered in QuickBooks against the customer's one payment here, once", async () => {
    const tenant = await h.tenant();
    const contactId = await contactHere(tenant);
    const { invoiceId, paymentId } = await paidHere(tenant, contactId);
    const { id: receiptId, syncToken } = await refundReceipt(tenant, contactId, 30);
    await h.settle(tenant);
    await sweep(tenant, 'after-refund');

    expect(await refundsOf(tenant, paymentId)).toEqual([
      { amount: 3000, source: 'quickbooks', external_id: receiptId },
    ]);
    const [payment] = await h.api.db.query<{ amount_refunded: number }>(
      'SELECT amount_refunded::int AS amount_refunded FROM payments WHERE tenant_id = $1 AND id = $2',
      [tenant.tenantId, paymentId],
    );
    expect(payment?.amount_refunded).toBe(3000);
    const events = await timeline(h, tenant, invoiceId);
    expect(events.filter((event) => event.kind === 'refund.issued')).toEqual([
      {
        kind: 'refund.issued',
        message: 'Refund issued: 30.00 USD',
        actor: expect.stringMatching(/^quickbooks:/),
        system: 'quickbooks',
      },
    ]);
    // Not sent back to QuickBooks as a second RefundReceipt.
    const receipts = await h.api.db.query(
      `SELECT 1 FROM external_links WHERE tenant_id = $1 AND provider = 'quickbooks' AND local_type = 'refund'`,
      [tenant.tenantId],
    );
    expect(receipts).toEqual([]);

    // Deleted in QuickBooks afterwards: the money was paid out; the refund stays, the invoice says so.
    await rest(h, tenant.realmId, 'refundreceipt?operation=delete', { Id: receiptId, SyncToken: syncToken });
    await h.settle(tenant);
    await sweep(tenant, 'after-delete');
    expect(await refundsOf(tenant, paymentId)).toHaveLength(1);
    expect(
      (await timeline(h, tenant, invoiceId)).filter((event) => event.kind === 'quickbooks.refund_conflict'),
    ).toEqual([
      expect.objectContaining({
        message:
          `Refund receipt ${receiptId} was deleted in QuickBooks, but its refund of 30.00 USD stays ` +
          'recorded here — adjust it by hand',
      }),
    ]);
  });

  it('does not take back a refund pushed from here as a second refund', async () => {
    const tenant = await h.tenant();
    const contactId = await contactHere(tenant);
    const { paymentId } = await paidHere(tenant, contactId);
    const refunded = await tenant.request('POST', `/api/v1/payments/${paymentId}/refunds`, {
      amount: 2_000,
      reason: 'Pro rata',
    });
    expect(refunded.statusCode, refunded.body).toBe(201);
    await h.settle(tenant);
    const link = await findLinkByLocal(h.api.db, {
      tenantId: tenant.tenantId,
      provider: 'quickbooks',
      localType: 'refund',
      localId: refunded.json<{ id: string }>().id,
    });
    expect(link, 'the push made a RefundReceipt').toBeDefined();
    await sweep(tenant, 'after-push');
    expect(await refundsOf(tenant, paymentId)).toEqual([
      { amount: 2000, source: 'manual', external_id: null },
    ]);
    const notes = await h.api.db.query<{ note: string }>(
      `SELECT note FROM webhook_inbox WHERE tenant_id = $1 AND type LIKE 'RefundReceipt.%'`,
      [tenant.tenantId],
    );
    expect(notes.map((row) => row.note)).toContain(
      `QuickBooks refund receipt ${link?.externalId} is ledgerbridge refund ${link?.localId}, pushed from here`,
    );
  });

  it('records nothing and says so on the invoices when more than one payment could be the one', async () => {
    const tenant = await h.tenant();
    const contactId = await contactHere(tenant);
    const first = await paidHere(tenant, contactId);
    const second = await paidHere(tenant, contactId);
    const { id: receiptId } = await refundReceipt(tenant, contactId, 25);
    await h.settle(tenant);
    await sweep(tenant, 'after-refund');

    expect(await refundsOf(tenant, first.paymentId)).toEqual([]);
    expect(await refundsOf(tenant, second.paymentId)).toEqual([]);
    for (const { invoiceId } of [first, second]) {
      const notes = (await timeline(h, tenant, invoiceId)).filter(
        (event) => event.kind === 'quickbooks.refund_unmatched',
      );
      expect(notes.map((note) => note.message)).toEqual([
        `A refund of 25.00 USD was entered in QuickBooks (refund receipt ${receiptId}), but 2 payments of ` +
          'this customer here could be the one refunded; record it here by hand against the right payment',
      ]);
    }
  });
});
