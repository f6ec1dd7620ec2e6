import { eventually } from './wait.js';
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountState, StripeObject } from '../emulators/stripe/kernel/state.js';
import { type StripeEmulator, startStripeEmulator } from '../emulators/stripe/server.js';
import { loadConfig } from '../src/config.js';
import { stripeJobHandlers } from '../src/integrations/stripe/jobs.js';
import { createStripeIntegration } from '../src/integrations/stripe/settings.js';
import { stripeSyncJobHandlers } from '../src/integrations/stripe/sync/index.js';
import { Worker } from '../src/jobs/worker.js';
import { cleanUpExpiredAccessData, MAINTENANCE_JOB } from '../src/runtime/maintenance.js';
import { loadSecretBox } from '../src/security/secret-box.js';
import { startTestApi, type TestApi } from './api.js';
import { freePort } from '../src/runtime/sandbox/emulators.js';
import { backends } from './databases.js';
import { authorizeOnStripe, parseForm, submitForm } from './stripe-browser.js';

type Product = Stripe.Product & StripeObject;
type Price = Stripe.Price & StripeObject;
type Invoice = Stripe.Invoice & StripeObject;
type WebhookEndpoint = Stripe.WebhookEndpoint & StripeObject;
type BalanceTransaction = Stripe.BalanceTransaction & StripeObject;

interface InvoiceJson {
  id: string;
  number: number;
  status: string;
  total: number;
  amount_paid: number;
  balance: number;
  currency: string;
  payment_link_url: string | null;
  stripe_sync: { status: string | null; error: string | null };
}
interface PaymentJson {
  amount: number;
  currency: string;
  method: string;
  source: string;
  external_id: string | null;
  fee_amount: number | null;
  card_brand: string | null;
  card_last4: string | null;
}
interface TimelineEntry {
  system: string;
  kind: string;
  message: string;
}

const CALLBACK_PATH = '/api/v1/integrations/stripe/oauth/callback';

/**
 * The must-show flow of issue 3, all over real HTTP: our app on a real port configured from the
 * environment as `ledgerbridge start` is (STRIPE_API_BASE, STRIPE_CONNECT_BASE, STRIPE_SECRET_KEY,
 * STRIPE_CLIENT_ID, PUBLIC_URL), the Stripe emulator, and a real Worker with the process's job
 * handlers. Connect through OAuth → catalog synced → invoice from billables → paid on the hosted
 * page with a test card → signed webhooks → our invoice paid with the payment and Stripe's fee.
 */
describe.each(backends)('Stripe end to end on $name', (backend) => {
  let emulator: StripeEmulator;
  let api: TestApi;
  let worker: Worker;
  let appUrl: string;

  beforeAll(async () => {
    emulator = await startStripeEmulator({
      ratePerSecond: 0,
      webhookRetry: { baseDelayMs: 5, maxAttempts: 6 },
    });
    const port = await freePort('127.0.0.1');
    appUrl = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      STRIPE_API_BASE: emulator.url,
      STRIPE_CONNECT_BASE: emulator.url,
      STRIPE_SECRET_KEY: emulator.secretKey,
      STRIPE_CLIENT_ID: emulator.clientId,
      PUBLIC_URL: appUrl,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    const integration = createStripeIntegration(config, loadSecretBox(config));
    api = await startTestApi(backend, { stripe: integration.settings, secrets: integration.secrets });
    await api.app.listen({ host: '127.0.0.1', port });
    // The handlers of src/runtime/process.ts, built the same way.
    const { db } = api;
    const stripe = api.stripe;
    worker = new Worker({
      db,
      concurrency: 4,
      pollIntervalMs: 10,
      leaseMs: 10_000,
      backoff: { baseMs: 30, maxMs: 200, jitter: 0 },
      handlers: {
        [MAINTENANCE_JOB]: async () => cleanUpExpiredAccessData(db),
        ...stripeJobHandlers({ db, stripe }),
        ...stripeSyncJobHandlers({ db, stripe }),
      },
    });
    worker.start();
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await emulator.close();
  });

  it('connect by OAuth, sync the catalog, push an invoice from billables, pay it by card, record the payment from the webhooks', async () => {
    const owner = await api.tenant('owner');
    const call = async <T = Record<string, unknown>>(
      method: string,
      path: string,
      body?: unknown,
      expected = [200, 201],
    ): Promise<T> => {
      const response = await fetch(path.startsWith('http') ? path : `${appUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${owner.key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      expect(expected, `${method} ${path} → ${response.status}: ${text}`).toContain(response.status);
      return JSON.parse(text) as T;
    };

    // (a) Connect OAuth: our API → the emulator's authorize page → Authorize → back to our callback.
    const started = await call<{ authorize_url: string }>(
      'POST',
      '/api/v1/integrations/stripe/oauth/start',
      {},
    );
    const authorizeUrl = new URL(started.authorize_url);
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${emulator.url}/oauth/authorize`);
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(`${appUrl}${CALLBACK_PATH}`);
    // The owner's browser opens the authorize page and clicks Authorize (a real form POST).
    const back = await authorizeOnStripe(started.authorize_url, { businessName: 'Acme Consulting' });
    expect(`${back.origin}${back.pathname}`).toBe(`${appUrl}${CALLBACK_PATH}`);
    expect(back.searchParams.get('state')).toBe(authorizeUrl.searchParams.get('state'));
    expect(back.searchParams.get('code')).toMatch(/^ac_/);
    // The browser follows the redirect, signed in as the owner who started.
    const connection = await call<{
      status: string;
      account_id: string;
      webhook_endpoint_registered: boolean;
    }>('GET', back.toString());
    expect(connection).toMatchObject({
      status: 'connected',
      method: 'oauth',
      webhook_endpoint_registered: true,
    });
    const account: AccountState | undefined = emulator.state.account(connection.account_id);
    if (!account) throw new Error(`the emulator has no account ${connection.account_id}`);
    expect(account.connectedTo).toBe(emulator.state.platform.id);
    expect(account.all<WebhookEndpoint>('webhook_endpoint')).toEqual([
      expect.objectContaining({ url: `${appUrl}/webhooks/stripe`, status: 'enabled' }),
    ]);
    expect(await call('GET', '/api/v1/integrations/stripe')).toMatchObject({
      connected: true,
      status: 'connected',
      account_id: account.id,
    });

    // (b) A service → its product and price on the connected account, made by the worker.
    const service = await call<{ id: string }>('POST', '/api/v1/services', {
      code: 'CONSULT',
      name: 'Consulting',
      description: 'Senior consultant, per hour',
      unit_price: 15_000,
      currency: 'USD',
    });
    const product = await eventually('the Stripe product', async () =>
      account.all<Product>('product').find((p) => p.id === `lb_${service.id}` && p.default_price !== null),
    );
    expect(product).toMatchObject({
      name: 'CONSULT — Consulting',
      description: 'Senior consultant, per hour',
    });
    expect(account.all<Price>('price').find((p) => p.id === product.default_price)).toMatchObject({
      unit_amount: 15_000,
      currency: 'usd',
      active: true,
    });
    expect(emulator.state.platform.all<Product>('product')).toEqual([]);

    // (c) Contact, opportunity, billables, an invoice from them, sent → finalized in Stripe.
    const contact = await call<{ id: string }>('POST', '/api/v1/contacts', {
      kind: 'organization',
      name: 'Globex',
      email: 'ap@globex.test',
    });
    const opportunity = await call<{ id: string }>('POST', '/api/v1/opportunities', {
      title: 'Website rebuild',
      contact_id: contact.id,
    });
    const hours = await call<{ id: string }>('POST', '/api/v1/billables', {
      parent_type: 'opportunity',
      parent_id: opportunity.id,
      service_id: service.id,
      quantity: '1.5',
    });
    const setup = await call<{ id: string }>('POST', '/api/v1/billables', {
      parent_type: 'opportunity',
      parent_id: opportunity.id,
      description: 'Setup',
      currency: 'USD',
      quantity: '1',
      unit_price: 4_999,
    });
    const draft = await call<InvoiceJson>('POST', '/api/v1/invoices/from-billables', {
      billable_ids: [hours.id, setup.id],
    });
    // 1.5 × 150.00 + 49.99
    expect(draft.total).toBe(27_499);
    await call('POST', `/api/v1/invoices/${draft.id}/send`, {});
    const sent = await eventually('the payment link', async () => {
      const invoice = await call<InvoiceJson>('GET', `/api/v1/invoices/${draft.id}`);
      return invoice.payment_link_url ? invoice : undefined;
    });
    expect(sent).toMatchObject({ status: 'open', stripe_sync: { status: 'synced', error: null } });
    const stripeInvoices = account
      .all<Invoice>('invoice')
      .filter((i) => i.metadata?.ledgerbridge_invoice_id === draft.id);
    expect(stripeInvoices).toHaveLength(1);
    const stripeInvoice = stripeInvoices[0];
    expect(stripeInvoice).toMatchObject({
      status: 'open',
      total: 27_499,
      amount_due: 27_499,
      currency: 'usd',
      hosted_invoice_url: sent.payment_link_url,
    });
    expect(stripeInvoice?.number).toBeTruthy();
    expect(emulator.state.platform.all<Invoice>('invoice')).toEqual([]);
    const paymentLink = sent.payment_link_url ?? '';

    // (d) The customer opens the payment link and pays with 4242 4242 4242 4242.
    const hostedPage = await fetch(paymentLink);
    expect(hostedPage.status).toBe(200);
    const payForm = parseForm(await hostedPage.text(), paymentLink);
    const paid = await submitForm(payForm.action, {
      ...payForm.fields,
      name: 'Ada Lovelace',
      number: '4242 4242 4242 4242',
      exp: '12 / 34',
      cvc: '123',
    });
    // Post/redirect/get: the browser lands back on the invoice page, now paid.
    const receipt = await paid.text();
    expect(paid.status, receipt).toBe(200);
    expect(paid.url).toBe(paymentLink);
    expect(receipt).toContain('class="status status-paid"');
    expect(receipt).not.toContain('/pay"');

    // (e) Signed webhooks reach /webhooks/stripe; the worker records the payment.
    const invoice = await eventually('our invoice to be paid', async () => {
      const current = await call<InvoiceJson>('GET', `/api/v1/invoices/${draft.id}`);
      return current.status === 'paid' ? current : undefined;
    });
    expect(invoice).toMatchObject({ amount_paid: 27_499, balance: 0 });
    // Let every delivery and job settle before counting: a late duplicate must not add a payment.
    await emulator.webhooks.idle();
    await eventually('the jobs to finish', async () => {
      const [row] = await api.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1 AND state IN ('queued', 'running')",
        [owner.tenantId],
      );
      return row?.n === 0 ? true : undefined;
    });

    const endpointId = account.all<WebhookEndpoint>('webhook_endpoint')[0]?.id;
    const delivered = emulator.webhooks
      .deliveries()
      .filter((attempt) => attempt.endpoint_id === endpointId && attempt.delivered);
    expect(delivered.map((attempt) => attempt.event_type)).toEqual(
      expect.arrayContaining(['invoice.paid', 'payment_intent.succeeded']),
    );
    expect(delivered.every((attempt) => attempt.url === `${appUrl}/webhooks/stripe`)).toBe(true);

    const charge = await eventually('the charge', async () =>
      account.all<Stripe.Charge & StripeObject>('charge').find((c) => c.status === 'succeeded'),
    );
    const balanceTransaction = account
      .all<BalanceTransaction>('balance_transaction')
      .find((bt) => bt.id === charge.balance_transaction);
    // Stripe's USD card fee, 2.9% + 0.30: 797.471 → 797, + 30.
    expect(balanceTransaction?.fee).toBe(827);

    const payments = (await call<{ data: PaymentJson[] }>('GET', `/api/v1/invoices/${draft.id}/payments`))
      .data;
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({
      source: 'stripe',
      amount: 27_499,
      currency: 'USD',
      method: 'card',
      external_id: charge.payment_intent,
      fee_amount: balanceTransaction?.fee,
      card_brand: 'visa',
      card_last4: '4242',
    });

    const timeline = (await call<{ data: TimelineEntry[] }>('GET', `/api/v1/invoices/${draft.id}/timeline`))
      .data;
    const messages = timeline.map((entry) => entry.message);
    const linkCreated = messages.indexOf('Payment link was created');
    const received = messages.findIndex((message) => message.startsWith('Payment received'));
    expect(linkCreated, messages.join('\n')).toBeGreaterThanOrEqual(0);
    expect(received, messages.join('\n')).toBeGreaterThan(linkCreated);
    expect(messages[received]).toBe('Payment received: 274.99 USD by card (visa •••• 4242)');
    expect(messages.filter((message) => message.startsWith('Payment received'))).toHaveLength(1);
  });
});
