import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qboClient } from '../../../../emulators/quickbooks/testing.js';
import { backends } from '../../../../test/databases.js';
import { findLinkByLocal } from '../../../store/repositories/external-links.js';
import { getInvoice } from '../../../store/repositories/invoices.js';
import type { QboObject } from '../types.js';
import { type PullHarness, type PullTenant, startPullHarness, timeline } from './test-harness.js';

/**
 * What ledgerbridge itself wrote to QuickBooks comes back through the pull (a notification, a CDC
 * sweep) and must not read as a person's change: an invoice sent without a due date gets one from
 * QuickBooks' terms on our create, and that is no "due date was changed in QuickBooks".
 */
describe.each(backends)('QuickBooks pull of our own writes on $name', (backend) => {
  let h: PullHarness;
  beforeAll(async () => {
    h = await startPullHarness(backend);
  });
  afterAll(async () => {
    await h.close();
  });

  /**
   * An invoice sent here, pushed to QuickBooks, every echo pulled back. Sending gives an invoice
   * without a due date one (due on receipt); `legacy` takes it away again before the push, as an
   * invoice sent by an earlier version, which left the due date to QuickBooks' terms, would be.
   */
  async function sendHere(tenant: PullTenant, extra: Record<string, unknown> = {}, legacy = false) {
    const contact = await tenant.request('POST', '/api/v1/contacts', {
      kind: 'organization',
      name: `Initech ${Math.random().toString(36).slice(2, 8)}`,
      email: 'ap@initech.test',
    });
    expect(contact.statusCode, contact.body).toBe(201);
    const created = await tenant.request('POST', '/api/v1/invoices', {
      contact_id: contact.json<{ id: string }>().id,
      currency: 'USD',
      lines: [{ description: 'Work', quantity: '1', unit_price: 10_000 }],
      ...extra,
    });
    expect(created.statusCode, created.body).toBe(201);
    const invoiceId = created.json<{ id: string }>().id;
    const sent = await tenant.request('POST', `/api/v1/invoices/${invoiceId}/send`, {});
    expect(sent.statusCode, sent.body).toBeLessThan(300);
    if (legacy) {
      await h.api.db.query('UPDATE invoices SET due_date = NULL WHERE tenant_id = $1 AND id = $2', [
        tenant.tenantId,
        invoiceId,
      ]);
    }
    await h.settle(tenant);
    const link = await findLinkByLocal(h.api.db, {
      tenantId: tenant.tenantId,
      provider: 'quickbooks',
      localType: 'invoice',
      localId: invoiceId,
    });
    if (!link) throw new Error('the push did not create the QuickBooks invoice');
    return { invoiceId, qboInvoiceId: link.externalId, link };
  }

  const readQbo = async (tenant: PullTenant, id: string) => {
    const answer = await qboClient(h.emulator, tenant.realmId).get(`invoice/${id}`);
    expect(answer.status).toBe(200);
    return answer.body.Invoice as QboObject;
  };
  const current = async (tenant: PullTenant, invoiceId: string) => {
    const invoice = await getInvoice(h.api.db, tenant.tenantId, invoiceId);
    if (!invoice) throw new Error(`invoice ${invoiceId} is gone`);
    return invoice;
  };
  const sweep = (tenant: PullTenant, key: string) => h.sweep(tenant, key);
  const revisions = async (tenant: PullTenant, invoiceId: string) =>
    (await timeline(h, tenant, invoiceId)).filter((event) => event.kind === 'invoice.revised');

  it('sends the due date it gives an invoice sent without one, and nothing comes back as a change', async () => {
    const tenant = await h.tenant();
    const { invoiceId, qboInvoiceId } = await sendHere(tenant);
    const ours = (await current(tenant, invoiceId)).dueDate;
    expect(ours).toBe(new Date().toISOString().slice(0, 10));
    expect((await readQbo(tenant, qboInvoiceId)).DueDate).toBe(ours);
    await sweep(tenant, 'after-create');
    expect((await current(tenant, invoiceId)).dueDate).toBe(ours);
    const kinds = (await timeline(h, tenant, invoiceId)).map((event) => event.kind);
    expect(kinds).not.toContain('invoice.revised');
    expect(kinds).not.toContain('quickbooks.due_date_from_terms');
  });

  it('takes the due date QuickBooks gave an earlier version’s create from its terms, not as a change', async () => {
    const tenant = await h.tenant();
    const { invoiceId, qboInvoiceId, link } = await sendHere(tenant, {}, true);
    const replica = await readQbo(tenant, qboInvoiceId);
    expect(replica.DueDate, 'QuickBooks fills in a due date from its terms').toEqual(expect.any(String));
    expect(link.data.due_date, 'the push records the due date QuickBooks answered').toBe(replica.DueDate);
    await sweep(tenant, 'after-create');

    expect((await current(tenant, invoiceId)).dueDate).toBe(replica.DueDate);
    const events = await timeline(h, tenant, invoiceId);
    expect(await revisions(tenant, invoiceId)).toEqual([]);
    expect(events.map((event) => event.message)).not.toContain('Invoice due date was changed in QuickBooks');
    expect(events.filter((event) => event.kind === 'quickbooks.due_date_from_terms')).toEqual([
      expect.objectContaining({
        message: `QuickBooks set the due date to ${String(replica.DueDate)} from its payment terms (the invoice was sent without one)`,
        system: 'quickbooks',
      }),
    ]);
  });

  it('still follows a person who then changes the due date in QuickBooks, with its entry', async () => {
    const tenant = await h.tenant();
    const { invoiceId, qboInvoiceId } = await sendHere(tenant);
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/edit`, { dueDate: '2031-03-15' });
    await h.settle(tenant);
    expect((await current(tenant, invoiceId)).dueDate).toBe('2031-03-15');
    expect((await revisions(tenant, invoiceId)).map((event) => event.message)).toEqual([
      'Invoice due date was changed in QuickBooks',
    ]);
    // A sweep over the same changes adds nothing.
    await sweep(tenant, 'after-edit');
    expect(await revisions(tenant, invoiceId)).toHaveLength(1);
  });

  it('does not take a payment pushed from here, which changes the QuickBooks invoice, for a due-date edit', async () => {
    const tenant = await h.tenant();
    const { invoiceId, qboInvoiceId } = await sendHere(tenant);
    const before = await readQbo(tenant, qboInvoiceId);
    const paid = await tenant.request('POST', '/api/v1/payments', {
      invoice_id: invoiceId,
      amount: 2500,
      currency: 'USD',
      method: 'bank_transfer',
    });
    expect(paid.statusCode, paid.body).toBe(201);
    await h.settle(tenant);
    const after = await readQbo(tenant, qboInvoiceId);
    expect(after.SyncToken, 'applying the payment changed the QuickBooks invoice').not.toBe(before.SyncToken);
    await sweep(tenant, 'after-payment');
    expect(await current(tenant, invoiceId)).toMatchObject({
      dueDate: before.DueDate,
      status: 'partially_paid',
    });
    expect(await revisions(tenant, invoiceId)).toEqual([]);
  });

  it('keeps a due date sent from here as it is, with no entry', async () => {
    const tenant = await h.tenant();
    const { invoiceId, qboInvoiceId } = await sendHere(tenant, { due_date: '2030-06-30' });
    expect((await readQbo(tenant, qboInvoiceId)).DueDate).toBe('2030-06-30');
    await sweep(tenant, 'after-create');
    expect((await current(tenant, invoiceId)).dueDate).toBe('2030-06-30');
    const kinds = (await timeline(h, tenant, invoiceId)).map((event) => event.kind);
    expect(kinds).not.toContain('invoice.revised');
    expect(kinds).not.toContain('quickbooks.due_date_from_terms');
  });
});
