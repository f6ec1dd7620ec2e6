import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InvoiceObject } from './resources/billing/lines.js';
import { admin, catalog } from './resources/billing/testkit.js';
import { startStripeEmulator, type StripeEmulator } from './server.js';
import type { StripeEmulatorSnapshot } from './snapshot.js';
import { stripeClientFor } from './sdk.js';
import { WebhookReceiver } from './webhooks/receiver.js';

const REDIRECT = 'http://127.0.0.1:9/stripe/callback';

/** Connects a new account through the Authorize page, as a person would; returns the code. */
async function connectAccount(emulator: StripeEmulator): Promise<string> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: emulator.clientId,
    scope: 'read_write',
    redirect_uri: REDIRECT,
  });
  const html = await (await fetch(`${emulator.url}/oauth/authorize?${query.toString()}`)).text();
  const authorization = /name="authorization" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const approved = await fetch(`${emulator.url}/oauth/authorize/approve`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ authorization, business_name: 'Corner Bakery' }).toString(),
  });
  return new URL(approved.headers.get('location') ?? '').searchParams.get('code') ?? '';
}

/** Everything a client can list, to compare before and after a restart. */
async function listings(stripe: Stripe, connected: Stripe) {
  return {
    customers: (await stripe.customers.list({ limit: 100 })).data,
    products: (await stripe.products.list({ limit: 100 })).data,
    prices: (await stripe.prices.list({ limit: 100 })).data,
    taxRates: (await stripe.taxRates.list({ limit: 100 })).data,
    invoices: (await stripe.invoices.list({ limit: 100 })).data,
    subscriptions: (await stripe.subscriptions.list({ limit: 100 })).data,
    events: (await stripe.events.list({ limit: 100 })).data,
    endpoints: (await stripe.webhookEndpoints.list({ limit: 100 })).data,
    connectedCustomers: (await connected.customers.list({ limit: 100 })).data,
    connectedAccount: await connected.accounts.retrieveCurrent(),
  };
}

/** A restart of the sandbox: state built, saved as JSON, the emulator closed, a new one restored. */
describe('Stripe emulator snapshot and restore', () => {
  let before: StripeEmulator;
  let after: StripeEmulator;
  let stripe: Stripe;
  let receiver: WebhookReceiver;
  let endpoint: Stripe.WebhookEndpoint;
  let token: Stripe.OAuthToken;
  let invoice: Stripe.Invoice;
  let idempotent: Stripe.Customer;
  let deletedId: string;
  let listed: Awaited<ReturnType<typeof listings>>;
  let saved: StripeEmulatorSnapshot;
  let changes = 0;

  beforeAll(async () => {
    receiver = new WebhookReceiver();
    const url = await receiver.start();
    before = await startStripeEmulator({ ratePerSecond: 0, webhookRetry: { baseDelayMs: 5 } });
    stripe = stripeClientFor(before.url, before.secretKey);
    endpoint = await stripe.webhookEndpoints.create({ url, enabled_events: ['customer.created'] });
    token = await stripe.oauth.token({
      grant_type: 'authorization_code',
      code: await connectAccount(before),
    });
    const connected = stripeClientFor(before.url, token.access_token ?? '');
    await connected.customers.create({ name: 'Bakery customer' });

    const shop = await catalog(stripe);
    const draft = await stripe.invoices.create({
      customer: shop.customer.id,
      collection_method: 'send_invoice',
      days_until_due: 14,
    });
    await stripe.invoices.addLines(draft.id, {
      lines: [{ pricing: { price: shop.oneOff.id }, quantity: 2, tax_rates: [shop.salesTax.id] }],
    });
    invoice = await stripe.invoices.finalizeInvoice(draft.id);
    await stripe.subscriptions.create({
      customer: shop.customer.id,
      items: [{ price: shop.monthly.id }],
      collection_method: 'send_invoice',
      days_until_due: 7,
    });
    idempotent = await stripe.customers.create({ name: 'Once only' }, { idempotencyKey: 'create-once' });
    deletedId = (await stripe.customers.create({ name: 'Gone' })).id;
    await stripe.customers.del(deletedId);
    // Less than a day: idempotency keys are kept 24 hours of emulator time.
    await admin(before, '/_emulator/clock/advance', { seconds: 3600 });
    await before.webhooks.idle();
    listed = await listings(stripe, connected);

    saved = JSON.parse(JSON.stringify(before.snapshot())) as StripeEmulatorSnapshot;
    const port = Number(new URL(before.url).port);
    await before.close();
    // The same port, as the sandbox restarts: stored hosted_invoice_url links stay valid.
    after = await startStripeEmulator({
      port,
      ratePerSecond: 0,
      webhookRetry: { baseDelayMs: 5 },
      restore: saved,
      onChange: () => (changes += 1),
    });
    stripe = stripeClientFor(after.url, after.secretKey);
    receiver.reset();
  });
  afterAll(async () => {
    await after.close();
    await receiver.stop();
  });

  it('lists and retrieves every object as it was, with the same keys and clock', async () => {
    expect(after.secretKey).toBe(before.secretKey);
    expect(after.clientId).toBe(before.clientId);
    expect(after.state.platform.id).toBe(before.state.platform.id);
    const connected = stripeClientFor(after.url, token.access_token ?? '');
    expect(await listings(stripe, connected)).toEqual(listed);
    expect(await stripe.invoices.retrieve(invoice.id)).toEqual(invoice);
    expect(await stripe.customers.retrieve(deletedId)).toMatchObject({ id: deletedId, deleted: true });
    expect(after.state.clock.nowMs() - Date.now()).toBeGreaterThanOrEqual(3_600_000 - 1000);
    // An invoice's embedded line is its stored line item, one object before and after.
    const account = after.state.platform;
    const lines = account.find<InvoiceObject>('invoice', invoice.id)?.lines;
    const line = lines?.data[0];
    expect(line && account.find('line_item', line.id)).toBe(line);
    // Nothing is lost on the way: the restored emulator saves exactly what it was given.
    const again = after.snapshot();
    expect(again.data).toEqual(saved.data);
    expect(again.shared).toEqual(saved.shared);
  });

  it('keeps the OAuth grant: the access token acts as the account, the refresh token refreshes', async () => {
    const connected = stripeClientFor(after.url, token.access_token ?? '');
    expect((await connected.accounts.retrieveCurrent()).id).toBe(token.stripe_user_id);
    const refreshed = await stripe.oauth.token({
      grant_type: 'refresh_token',
      refresh_token: token.refresh_token ?? '',
    });
    expect(refreshed.stripe_user_id).toBe(token.stripe_user_id);
    const asPlatform = await stripe.customers.list({}, { stripeAccount: token.stripe_user_id ?? '' });
    expect(asPlatform.data.map((c) => c.name)).toEqual(['Bakery customer']);
  });

  it('replays an idempotency key with the same answer, and refuses other parameters under it', async () => {
    const replay = await stripe.customers.create({ name: 'Once only' }, { idempotencyKey: 'create-once' });
    expect(replay).toEqual(idempotent);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    await expect(
      stripe.customers.create({ name: 'Someone else' }, { idempotencyKey: 'create-once' }),
    ).rejects.toMatchObject({ type: 'StripeIdempotencyError' });
  });

  it('serves and takes payment on the hosted invoice page', async () => {
    const page = await fetch(String(invoice.hosted_invoice_url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Invoice ${invoice.number ?? ''}`);
    const paid = await fetch(`${String(invoice.hosted_invoice_url)}/pay`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ number: '4242424242424242', exp: '12 / 34', cvc: '123' }).toString(),
    });
    expect(paid.status).toBe(303);
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('paid');
  });

  it('gives new objects fresh ids and continues the invoice numbers', async () => {
    const customer = await stripe.customers.create({ name: 'After restart' });
    expect(listed.customers.map((c) => c.id)).not.toContain(customer.id);
    const draft = await stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 3,
    });
    await stripe.invoices.addLines(draft.id, { lines: [{ amount: 500, description: 'Later work' }] });
    const next = await stripe.invoices.finalizeInvoice(draft.id);
    const sequence = (number: string | null) => Number(number?.split('-')[1]);
    const numbers = listed.invoices.map((i) => i.number).filter((n) => n !== null);
    const highest = Math.max(...numbers.map(sequence));
    expect(numbers.length).toBeGreaterThanOrEqual(2);
    expect(next.number?.split('-')[0]).toBe(invoice.number?.split('-')[0]);
    expect(sequence(next.number)).toBe(highest + 1);
  });

  it('still delivers to the webhook endpoint, signed with its old secret', async () => {
    const customer = await stripe.customers.create({ name: 'Announced' });
    await after.webhooks.idle();
    const delivery = receiver.received.find((r) => r.body.includes(customer.id));
    expect(delivery?.status).toBe(200);
    const event = stripe.webhooks.constructEvent(
      delivery?.body ?? '',
      String(delivery?.headers['stripe-signature']),
      endpoint.secret ?? '',
    );
    expect(event).toMatchObject({ type: 'customer.created', data: { object: { id: customer.id } } });
  });

  it('calls onChange after a POST and not after a GET', async () => {
    await after.webhooks.idle();
    const start = changes;
    await stripe.products.create({ name: 'Counted' });
    await vi.waitFor(() => expect(changes).toBe(start + 1));
    await stripe.products.list();
    await stripe.customers.retrieve(idempotent.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(changes).toBe(start + 1);
    await expect(stripe.customers.create({ email: 'x'.repeat(600) })).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(changes).toBe(start + 1);
  });

  it('refuses a snapshot of an unknown version', async () => {
    const future = { ...saved, version: 2 } as unknown as StripeEmulatorSnapshot;
    await expect(startStripeEmulator({ restore: future })).rejects.toThrow(
      'Cannot restore a Stripe emulator snapshot of version 2: this emulator reads version 1.',
    );
  });
});
