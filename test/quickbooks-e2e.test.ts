import { eventually } from './wait.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuickBooksEmulator } from '../emulators/quickbooks/server.js';
import { type QboTestClient, qboClient } from '../emulators/quickbooks/testing.js';
import { authorizeOnQuickBooks } from '../src/integrations/quickbooks/connection/test-harness.js';
import { Worker } from '../src/jobs/worker.js';
import { allJobHandlers } from '../src/runtime/job-handlers.js';
import { catcherTransport } from '../src/email/transport.js';
import type { TestApi } from './api.js';
import { type EmulatedApp, startEmulatedApp } from './emulated-app.js';
import { backends } from './databases.js';
import { authorizeOnStripe, parseForm, submitForm } from './stripe-browser.js';

interface InvoiceJson {
  id: string;
  number: number;
  status: string;
  total: number;
  amount_paid: number;
  balance: number;
  payment_link_url: string | null;
}
interface ContactJson {
  id: string;
  name: string;
  email: string | null;
}
type Qbo = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The must-show flow of the QuickBooks issue, all over real HTTP, with the app configured from the
 * environment as `ledgerbridge start` is and a Worker with every integration's handlers: OAuth
 * connect → customers imported and matched → invoice pushed → paid through Stripe → QuickBooks
 * payment recorded and the invoice's balance zero → a partial payment entered in QuickBooks reflected
 * here → an invoice deleted in QuickBooks archived here.
 */
describe.each(backends)('QuickBooks end to end on $name', (backend) => {
  let quickbooks: QuickBooksEmulator;
  let api: TestApi;
  let worker: Worker;
  let appUrl: string;
  let app: EmulatedApp;

  beforeAll(async () => {
    // QuickBooks' real per-company limits stay on: this flow must fit in them.
    app = await startEmulatedApp(backend);
    ({ api, quickbooks, appUrl } = app);
    worker = new Worker({
      db: api.db,
      concurrency: 4,
      pollIntervalMs: 10,
      leaseMs: 10_000,
      backoff: { baseMs: 30, maxMs: 200, jitter: 0 },
      // What src/runtime/process.ts registers, workflows included.
      handlers: allJobHandlers({
        db: api.db,
        stripe: api.stripe,
        quickbooks: api.quickbooks,
        mail: catcherTransport('Acme <billing@acme.test>'),
      }),
    });
    worker.start();
  });
  afterAll(async () => {
    await worker.stop();
    await app.close();
  });

  it('connects, imports and matches customers, pushes an invoice, follows payments both ways and a deletion', async () => {
    const owner = await api.tenant('owner');
    const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
      const response = await fetch(path.startsWith('http') ? path : `${appUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${owner.key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      expect(response.status, `${method} ${path} → ${response.status}: ${text}`).toBeLessThan(300);
      return JSON.parse(text) as T;
    };
    const realmId = quickbooks.realmIds[0] ?? '';
    const books: QboTestClient = qboClient(quickbooks, realmId);
    const person = async <T = Qbo>(path: string, body: unknown = {}) => {
      const response = await fetch(`${quickbooks.url}/_emulator/companies/${realmId}/person/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      expect(response.status, `person ${path}: ${text}`).toBeLessThan(300);
      return JSON.parse(text) as T;
    };
    const inBooks = async (entity: string, where: string): Promise<Qbo[]> => {
      const answer = await books.query(`SELECT * FROM ${entity} WHERE ${where}`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return (answer.body.QueryResponse?.[entity] ?? []) as Qbo[];
    };
    const invoice = (id: string) => call<InvoiceJson>('GET', `/api/v1/invoices/${id}`);

    // The company already has two customers; ours already has one of them, by email.
    await person('customers', { displayName: 'Globex', email: 'ap@globex.test' });
    await person('customers', { displayName: 'Initech', email: 'ar@initech.test' });
    const initech = await call<ContactJson>('POST', '/api/v1/contacts', {
      kind: 'organization',
      name: 'Initech Corporation',
      email: 'ar@initech.test',
    });

    // (a) Both connections through their OAuth consent pages, as the owner's browser does it.
    const stripeStart = await call<{ authorize_url: string }>(
      'POST',
      '/api/v1/integrations/stripe/oauth/start',
      {},
    );
    await call(
      'GET',
      (await authorizeOnStripe(stripeStart.authorize_url, { businessName: 'Acme' })).toString(),
    );
    const qboStart = await call<{ authorize_url: string }>(
      'POST',
      '/api/v1/integrations/quickbooks/oauth/start',
      {},
    );
    const back = await authorizeOnQuickBooks(qboStart.authorize_url, { realmId });
    expect(back.searchParams.get('realmId')).toBe(realmId);
    await call('GET', back.toString());
    expect(await call('GET', '/api/v1/integrations/quickbooks')).toMatchObject({ status: 'connected' });

    // (b) Customers imported: Globex becomes a contact; Initech is matched to ours, not duplicated.
    const contacts = await eventually('the imported contacts', async () => {
      const list = (await call<{ data: ContactJson[] }>('GET', '/api/v1/contacts?limit=100')).data;
      return list.some((c) => c.email === 'ap@globex.test') ? list : undefined;
    });
    expect(contacts.filter((c) => c.email === 'ar@initech.test').map((c) => c.id)).toEqual([initech.id]);
    expect(contacts.filter((c) => c.email === 'ap@globex.test')).toHaveLength(1);
    const globex = contacts.find((c) => c.email === 'ap@globex.test') as ContactJson;

    // (c) An invoice from billables, sent: pushed to Stripe (payment link) and to QuickBooks.
    const service = await call<{ id: string }>('POST', '/api/v1/services', {
      code: 'CONSULT',
      name: 'Consulting',
      unit_price: 15_000,
      currency: 'USD',
    });
    const newInvoice = async (contactId: string, quantity: string) => {
      const opportunity = await call<{ id: string }>('POST', '/api/v1/opportunities', {
        title: `Work ${quantity}`,
        contact_id: contactId,
      });
      const billable = await call<{ id: string }>('POST', '/api/v1/billables', {
        parent_type: 'opportunity',
        parent_id: opportunity.id,
        service_id: service.id,
        quantity,
      });
      const draft = await call<InvoiceJson>('POST', '/api/v1/invoices/from-billables', {
        billable_ids: [billable.id],
      });
      await call('POST', `/api/v1/invoices/${draft.id}/send`, {});
      const replica = await eventually(`invoice ${draft.number} in QuickBooks`, async () => {
        const found = await inBooks('Invoice', `DocNumber = '${draft.number}'`);
        return found.length > 0 ? found : undefined;
      });
      expect(replica).toHaveLength(1);
      return { draft, replica: replica[0] as Qbo };
    };
    const first = await newInvoice(globex.id, '1.5');
    expect(first.draft.total).toBe(22_500);
    expect(first.replica).toMatchObject({ TotalAmt: 225, Balance: 225 });
    const customers = await inBooks('Customer', `DisplayName = 'Globex'`);
    expect(customers).toHaveLength(1);
    expect(first.replica.CustomerRef.value).toBe(customers[0]?.Id);

    // (d) Paid through Stripe on the hosted page → QuickBooks Payment, invoice balance zero there.
    const sent = await eventually('the payment link', async () => {
      const current = await invoice(first.draft.id);
      return current.payment_link_url ? current : undefined;
    });
    const link = sent.payment_link_url ?? '';
    const form = parseForm(await (await fetch(link)).text(), link);
    const paid = await submitForm(form.action, {
      ...form.fields,
      name: 'Ada Lovelace',
      number: '4242 4242 4242 4242',
      exp: '12 / 34',
      cvc: '123',
    });
    expect(paid.status).toBe(200);
    await eventually('our invoice paid', async () =>
      (await invoice(first.draft.id)).status === 'paid' ? true : undefined,
    );
    const settled = await eventually('the QuickBooks balance at zero', async () => {
      const [current] = await inBooks('Invoice', `Id = '${first.replica.Id}'`);
      return current?.Balance === 0 ? current : undefined;
    });
    expect(settled.TotalAmt).toBe(225);
    const qboPayments = await inBooks('Payment', `CustomerRef = '${first.replica.CustomerRef.value}'`);
    expect(qboPayments).toHaveLength(1);
    expect(qboPayments[0]).toMatchObject({ TotalAmt: 225 });

    // (e) A partial payment a person enters in QuickBooks shows here.
    const second = await newInvoice(initech.id, '2');
    await person(`invoices/${second.replica.Id}/payments`, { amount: '120.00' });
    const partly = await eventually('the partial payment here', async () => {
      const current = await invoice(second.draft.id);
      return current.amount_paid === 12_000 ? current : undefined;
    });
    expect(partly).toMatchObject({ status: 'partially_paid', balance: 18_000 });

    // (f) An invoice deleted in QuickBooks is archived here, never deleted.
    const third = await newInvoice(globex.id, '1');
    await person(`invoices/${third.replica.Id}/delete`);
    await eventually('the deleted invoice archived here', async () =>
      (await invoice(third.draft.id)).status === 'archived' ? true : undefined,
    );

    // Nothing duplicated anywhere, and the push left its mark on the timeline.
    await quickbooks.webhooks.idle();
    expect(await inBooks('Invoice', `DocNumber = '${first.draft.number}'`)).toHaveLength(1);
    expect(await inBooks('Customer', `DisplayName LIKE '%'`)).toHaveLength(2);
    const timeline = (
      await call<{ data: { message: string }[] }>('GET', `/api/v1/invoices/${first.draft.id}/timeline`)
    ).data.map((entry) => entry.message);
    expect(timeline).toContain('Invoice was synced with QuickBooks');
    expect((await invoice(second.draft.id)).amount_paid).toBe(12_000);
  });
});
