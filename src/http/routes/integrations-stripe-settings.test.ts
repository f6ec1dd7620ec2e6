import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeObject } from '../../../emulators/stripe/kernel/state.js';
import { backends } from '../../../test/databases.js';
import {
  type InboundHarness,
  type InboundTenant,
  startInboundHarness,
} from '../../integrations/stripe/inbound/test-harness.js';
import type { Role } from '../../access/roles.js';

type Invoice = Stripe.Invoice & StripeObject;

const BASE = '/api/v1/integrations/stripe';

/** The tenant's connection settings: who may change them, what is accepted, and what they change. */
describe.each(backends)('Stripe connection settings on $name', (backend) => {
  let h: InboundHarness;
  beforeAll(async () => {
    h = await startInboundHarness(backend);
  });
  afterAll(() => h.close());

  const as = async (t: InboundTenant, role: Role) => {
    const key = await t.keyFor(role);
    return (method: 'GET' | 'PATCH', body?: Record<string, unknown>) =>
      h.api.app.inject({
        method,
        url: method === 'GET' ? BASE : `${BASE}/settings`,
        headers: { authorization: `Bearer ${key}` },
        ...(body === undefined ? {} : { payload: body }),
      });
  };

  /** An invoice for 120.00 USD, created and sent through our API, then pushed to Stripe by the worker. */
  async function pushedInvoice(t: InboundTenant) {
    const contact = await t.send<{ id: string }>('POST', '/api/v1/contacts', {
      kind: 'organization',
      name: 'Initech',
      email: `ap-${Math.random().toString(36).slice(2, 8)}@initech.test`,
    });
    const invoice = await t.send<{ id: string }>('POST', '/api/v1/invoices', {
      contact_id: contact.id,
      currency: 'USD',
      lines: [{ description: 'Consulting', quantity: '1', unit_price: 12_000 }],
    });
    await t.send('POST', `/api/v1/invoices/${invoice.id}/send`, {});
    await h.settle(t);
    const stripeInvoice = t.account
      .all<Invoice>('invoice')
      .find((i) => i.metadata?.ledgerbridge_invoice_id === invoice.id);
    if (!stripeInvoice) throw new Error(`invoice ${invoice.id} was not pushed to Stripe`);
    const timeline = await t.send<{ data: { message: string }[] }>(
      'GET',
      `/api/v1/invoices/${invoice.id}/timeline`,
    );
    return { stripeInvoice, messages: timeline.data.map((entry) => entry.message) };
  }

  it('owners and admins change them; finance and viewers read them but may not', async () => {
    const t = await h.tenant();
    for (const role of ['owner', 'admin', 'finance', 'viewer'] as const) {
      const read = await (await as(t, role))('GET');
      expect(read.statusCode, `${role}: ${read.body}`).toBe(200);
      expect(read.json()).toHaveProperty('settings.send_invoices_by_email');
    }
    for (const role of ['finance', 'viewer'] as const) {
      const refused = await (await as(t, role))('PATCH', { send_invoices_by_email: true });
      expect(refused.statusCode, role).toBe(403);
      expect(refused.json().error.code).toBe('insufficient_role');
    }
    expect((await (await as(t, 'owner'))('GET')).json().settings).toEqual({ send_invoices_by_email: false });

    const byAdmin = await (await as(t, 'admin'))('PATCH', { send_invoices_by_email: true });
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    expect(byAdmin.json()).toMatchObject({ status: 'connected', settings: { send_invoices_by_email: true } });
    expect((await (await as(t, 'viewer'))('GET')).json().settings).toEqual({ send_invoices_by_email: true });

    // An empty body changes nothing; the owner turns it off again.
    const empty = await (await as(t, 'owner'))('PATCH', {});
    expect(empty.json().settings).toEqual({ send_invoices_by_email: true });
    const byOwner = await (await as(t, 'owner'))('PATCH', { send_invoices_by_email: false });
    expect(byOwner.json().settings).toEqual({ send_invoices_by_email: false });
    const [row] = await h.api.db.query<{ settings: Record<string, unknown> }>(
      'SELECT settings FROM integration_connections WHERE tenant_id = $1',
      [t.tenantId],
    );
    expect(row?.settings).toEqual({ send_invoices_by_email: false });
  });

  it('refuses unknown fields and non-booleans, and answers 404 without a connection', async () => {
    const t = await h.tenant();
    const owner = await as(t, 'owner');
    for (const body of [
      { send_invoices_by_email: 'yes' },
      { send_invoices_by_email: 1 },
      { send_invoices_by_email: null },
      { send_invoices_by_email: true, auto_charge: true },
    ]) {
      const response = await owner('PATCH', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await owner('GET')).json().settings).toEqual({ send_invoices_by_email: false });

    const unconnected = await h.api.tenant('owner');
    const response = await unconnected.request('PATCH', `${BASE}/settings`, { send_invoices_by_email: true });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_connected');
  });

  it('with send_invoices_by_email on, Stripe sends the pushed invoice and the timeline says so', async () => {
    const t = await h.tenant();
    const off = await pushedInvoice(t);
    expect(off.stripeInvoice.status).toBe('open');
    expect(off.messages).toContain('Payment link was created');
    expect(off.messages).not.toContain('Payment link was sent');
    const sentBefore = t.account
      .all<Stripe.Event & StripeObject>('event')
      .filter((e) => e.type === 'invoice.sent');
    expect(sentBefore).toEqual([]);

    await t.send('PATCH', `${BASE}/settings`, { send_invoices_by_email: true });
    const on = await pushedInvoice(t);
    expect(on.stripeInvoice.status).toBe('open');
    expect(on.messages).toEqual(
      expect.arrayContaining(['Payment link was created', 'Payment link was sent']),
    );
    expect(on.messages.indexOf('Payment link was sent')).toBeGreaterThan(
      on.messages.indexOf('Payment link was created'),
    );
    // Stripe itself sent it: its invoice.sent event is about this invoice only.
    const sent = t.account
      .all<Stripe.Event & StripeObject>('event')
      .filter((e) => e.type === 'invoice.sent')
      .map((e) => (e.data.object as { id?: string }).id);
    expect(sent).toEqual([on.stripeInvoice.id]);
  });
});
