import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import { getContact } from '../../../store/repositories/contacts.js';
import { findLinkByExternal } from '../../../store/repositories/external-links.js';
import type { QboObject } from '../types.js';
import { enqueueQuickBooksCdc } from './cdc.js';
import {
  invoiceInQuickBooks,
  ours,
  type PullHarness,
  rest,
  startPullHarness,
  timeline,
} from './test-harness.js';

/**
 * Invoices and customers a person changes in QuickBooks reach ledgerbridge: the emulator delivers real
 * signed notifications to our endpoint, the worker reads each object back and applies its current state.
 */
describe.each(backends)('QuickBooks pull of invoices and customers on $name', (backend) => {
  let h: PullHarness;
  beforeAll(async () => {
    h = await startPullHarness(backend);
  });
  afterAll(async () => {
    await h.close();
  });

  it('imports an invoice created in QuickBooks once, with its customer as a contact', async () => {
    const tenant = await h.tenant();
    const { qboInvoiceId, customerId } = await invoiceInQuickBooks(h, tenant, [
      { amount: '120.50', description: 'Design work' },
      { qty: '3', unitPrice: '25', description: 'Hosting' },
    ]);
    await h.settle(tenant);
    const invoice = await ours(h, tenant, qboInvoiceId);
    expect(invoice).toMatchObject({ status: 'open', total: 19550, balance: 19550, amountPaid: 0 });
    const contactLink = await findLinkByExternal(h.api.db, {
      tenantId: tenant.tenantId,
      provider: 'quickbooks',
      localType: 'contact',
      externalId: customerId,
    });
    expect(contactLink?.localId).toBe(invoice.contactId);
    expect((await getContact(h.api.db, tenant.tenantId, invoice.contactId))?.name).toMatch(/^Globex /);
    const events = await timeline(h, tenant, invoice.id);
    expect(events).toContainEqual(
      expect.objectContaining({
        kind: 'invoice.imported',
        system: 'quickbooks',
        actor: 'quickbooks:webhook',
      }),
    );
    // Every notification again (and a CDC sweep over the same changes) imports nothing more.
    const count = await h.api.db.query(`SELECT count(*)::int AS n FROM invoices WHERE tenant_id = $1`, [
      tenant.tenantId,
    ]);
    await h.switches({ duplicate: true });
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/edit`, { dueDate: '2030-01-31' });
    await h.settle(tenant);
    await h.switches({ duplicate: false });
    expect(
      await h.api.db.query(`SELECT count(*)::int AS n FROM invoices WHERE tenant_id = $1`, [tenant.tenantId]),
    ).toEqual(count);
    expect((await ours(h, tenant, qboInvoiceId)).dueDate).toBe('2030-01-31');
  });

  it('does not import invoices created in QuickBooks while invoices_pull is off', async () => {
    const tenant = await h.tenant();
    const patched = await tenant.request('PATCH', '/api/v1/integrations/quickbooks/settings', {
      invoices_pull: false,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const { qboInvoiceId } = await invoiceInQuickBooks(h, tenant);
    await h.settle(tenant);
    expect(await h.invoiceFor(tenant, qboInvoiceId)).toBeUndefined();
    const [entry] = await h.api.db.query<{ status: string; note: string }>(
      `SELECT status, note FROM webhook_inbox WHERE tenant_id = $1 AND type = 'Invoice.Create'`,
      [tenant.tenantId],
    );
    expect(entry).toEqual({
      status: 'ignored',
      note: 'invoices_pull is off: QuickBooks invoices are not imported',
    });
  });

  it('imports the customers QuickBooks held before connecting on the sweep that connecting starts, once', async () => {
    const before: QboObject[] = [];
    const tenant = await h.tenant(async (realmId) => {
      for (const name of ['Hooli', 'Pied Piper']) {
        before.push(
          (await h.person<{ Customer: QboObject }>(realmId, 'customers', { displayName: name })).Customer,
        );
      }
    });
    await h.settle(tenant);
    const contactOf = (customer: QboObject) =>
      findLinkByExternal(h.api.db, {
        tenantId: tenant.tenantId,
        provider: 'quickbooks',
        localType: 'contact',
        externalId: String(customer.Id),
      });
    const [connection] = await h.api.db.query<{ id: string }>(
      `SELECT id FROM integration_connections WHERE tenant_id = $1 AND provider = 'quickbooks'`,
      [tenant.tenantId],
    );
    const sweep = (key: string) =>
      h.api.db.transaction((tx) => enqueueQuickBooksCdc(tx, tenant.tenantId, String(connection?.id), key));
    // Connecting enqueued the first sweep, and it has run.
    const contacts = async () =>
      h.api.db.query<{ name: string }>(`SELECT name FROM contacts WHERE tenant_id = $1 ORDER BY name`, [
        tenant.tenantId,
      ]);
    const names = (await contacts()).map((row) => row.name);
    expect(names).toEqual(expect.arrayContaining(['Hooli', 'Pied Piper']));
    for (const customer of before) expect(await contactOf(customer)).toBeDefined();
    await sweep('second');
    await h.settle(tenant);
    expect((await contacts()).map((row) => row.name)).toEqual(names);
  });

  it('applies the legacy eventNotifications format the same way', async () => {
    const tenant = await h.tenant();
    await h.switches({ format: 'legacy' });
    try {
      const { qboInvoiceId } = await invoiceInQuickBooks(h, tenant);
      await h.settle(tenant);
      await h.person(tenant.realmId, `invoices/${qboInvoiceId}/payments`, { amount: '12.34' });
      await h.settle(tenant);
      expect(await ours(h, tenant, qboInvoiceId)).toMatchObject({
        status: 'partially_paid',
        amountPaid: 1234,
      });
    } finally {
      await h.switches({ format: 'cloudevents' });
    }
  });

  it('imports customers created in QuickBooks as contacts, and follows their changes', async () => {
    const tenant = await h.tenant();
    const { Customer } = await h.person<{ Customer: QboObject }>(tenant.realmId, 'customers', {
      displayName: 'Initech LLC',
      email: 'billing@initech.test',
    });
    await h.settle(tenant);
    const link = await findLinkByExternal(h.api.db, {
      tenantId: tenant.tenantId,
      provider: 'quickbooks',
      localType: 'contact',
      externalId: String(Customer.Id),
    });
    if (!link) throw new Error('the customer was not imported');
    expect(await getContact(h.api.db, tenant.tenantId, link.localId)).toMatchObject({
      name: 'Initech LLC',
      email: 'billing@initech.test',
      archived: false,
    });
    await rest(h, tenant.realmId, 'customer', {
      Id: Customer.Id,
      SyncToken: Customer.SyncToken,
      sparse: true,
      DisplayName: 'Initech Corporation',
    });
    await h.settle(tenant);
    expect((await getContact(h.api.db, tenant.tenantId, link.localId))?.name).toBe('Initech Corporation');
  });

  it('voids ours when the invoice is voided in QuickBooks, and archives it when deleted', async () => {
    const tenant = await h.tenant();
    const voided = await invoiceInQuickBooks(h, tenant);
    const deleted = await invoiceInQuickBooks(h, tenant);
    await h.settle(tenant);
    await h.person(tenant.realmId, `invoices/${voided.qboInvoiceId}/void`);
    await h.person(tenant.realmId, `invoices/${deleted.qboInvoiceId}/delete`);
    await h.settle(tenant);
    const voidHere = await ours(h, tenant, voided.qboInvoiceId);
    expect(voidHere.status).toBe('void');
    expect(await timeline(h, tenant, voidHere.id)).toContainEqual({
      kind: 'invoice.voided',
      message: 'Invoice was voided in QuickBooks',
      actor: 'quickbooks:webhook',
      system: 'quickbooks',
    });
    const archived = await ours(h, tenant, deleted.qboInvoiceId);
    expect(archived).toMatchObject({ status: 'archived', archivedFrom: 'open' });
  });

  it('takes an unpaid invoice’s new amount and due date from QuickBooks, as QuickBooks', async () => {
    const tenant = await h.tenant();
    const { qboInvoiceId, invoice } = await invoiceInQuickBooks(h, tenant, [
      { amount: '100.00', description: 'Consulting' },
    ]);
    await h.settle(tenant);
    const line = (invoice.Line as QboObject[]).find((l) => l.DetailType === 'SalesItemLineDetail');
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/edit`, {
      dueDate: '2031-06-30',
      lines: [{ lineId: String(line?.Id), qty: '2', unitPrice: '75' }],
    });
    await h.settle(tenant);
    const revised = await ours(h, tenant, qboInvoiceId);
    expect(revised).toMatchObject({ status: 'open', total: 15000, balance: 15000, dueDate: '2031-06-30' });
    expect(await timeline(h, tenant, revised.id)).toContainEqual({
      kind: 'invoice.revised',
      message: 'Invoice amount and due date were changed in QuickBooks',
      actor: 'quickbooks:webhook',
      system: 'quickbooks',
    });
    // Not pushed back: no push job exists for this invoice.
    const pushes = await h.api.db.query(
      `SELECT 1 FROM jobs WHERE tenant_id = $1 AND type = 'quickbooks.sync.invoice' AND payload->>'invoice_id' = $2`,
      [tenant.tenantId, revised.id],
    );
    expect(pushes).toEqual([]);
  });

  it('archives the contact of a customer made inactive in QuickBooks', async () => {
    const tenant = await h.tenant();
    const { customerId, qboInvoiceId } = await invoiceInQuickBooks(h, tenant);
    await h.settle(tenant);
    const invoice = await ours(h, tenant, qboInvoiceId);
    // QuickBooks refuses to make a customer with an open balance inactive (6220): paid first.
    await h.person(tenant.realmId, `invoices/${qboInvoiceId}/payments`, {});
    await h.person(tenant.realmId, `customers/${customerId}/delete`);
    await h.settle(tenant);
    expect((await getContact(h.api.db, tenant.tenantId, invoice.contactId))?.archived).toBe(true);
  });
});
