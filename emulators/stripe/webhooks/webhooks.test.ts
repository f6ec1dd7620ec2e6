import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../server.js';
import { WebhookReceiver } from './receiver.js';
import { stripeClientFor } from '../sdk.js';

/** Webhook delivery as a receiver sees it: signed like Stripe, retried, and misbehaving on request. */
describe('Stripe emulator webhook delivery', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let receiver: WebhookReceiver;
  let url: string;

  beforeEach(async () => {
    emulator = await startStripeEmulator({
      ratePerSecond: 0,
      webhookRetry: { baseDelayMs: 5, maxAttempts: 4, timeoutMs: 2000 },
    });
    stripe = stripeClientFor(emulator.url, emulator.secretKey);
    receiver = new WebhookReceiver();
    url = await receiver.start();
  });
  afterEach(async () => {
    await emulator.close();
    await receiver.stop();
  });

  const admin = (path: string, body: unknown = {}) =>
    fetch(`${emulator.url}/_emulator/webhooks/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('signs each delivery so the SDK verifies it, and sends only subscribed events', async () => {
    const endpoint = await stripe.webhookEndpoints.create({ url, enabled_events: ['customer.created'] });
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect((await stripe.webhookEndpoints.retrieve(endpoint.id)).secret).toBeUndefined();
    const customer = await stripe.customers.create({ email: 'signed@example.com' });
    await stripe.products.create({ name: 'not subscribed' });
    await emulator.webhooks.idle();

    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    if (!delivery) throw new Error('no delivery');
    expect(delivery.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(delivery.headers['user-agent']).toBe('Stripe/1.0 (+https://stripe.com/docs/webhooks)');
    const signature = String(delivery.headers['stripe-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const event = stripe.webhooks.constructEvent(delivery.body, signature, endpoint.secret ?? '');
    expect(event.type).toBe('customer.created');
    expect((event.data.object as Stripe.Customer).id).toBe(customer.id);
    expect(() =>
      stripe.webhooks.constructEvent(
        delivery.body.replace('signed@', 'forged@'),
        signature,
        endpoint.secret ?? '',
      ),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect((await stripe.events.retrieve(event.id)).pending_webhooks).toBe(0);
  });

  it('retries a failing endpoint with backoff until it answers 2xx', async () => {
    receiver.respond = (index) => (index < 2 ? 500 : 200);
    await stripe.webhookEndpoints.create({ url, enabled_events: ['*'] });
    const customer = await stripe.customers.create({ name: 'Retry' });
    await emulator.webhooks.idle();
    const attempts = emulator.webhooks.deliveries();
    expect(attempts.map((a) => [a.attempt, a.status, a.delivered])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    expect(receiver.events().map((e) => (e.data.object as { id: string }).id)).toEqual([customer.id]);
    const response = await fetch(
      `${emulator.url}/_emulator/webhooks/deliveries?event_id=${attempts[0]?.event_id}`,
    );
    expect(((await response.json()) as { data: unknown[] }).data).toHaveLength(3);
  });

  it('gives up after the last attempt and leaves the event pending', async () => {
    receiver.respond = () => 503;
    emulator.webhooks.setRetry({ maxAttempts: 2 });
    await stripe.webhookEndpoints.create({ url, enabled_events: ['product.created'] });
    await stripe.products.create({ name: 'Never delivered' });
    await emulator.webhooks.idle();
    expect(receiver.received).toHaveLength(2);
    const [event] = (await stripe.events.list({ type: 'product.created' })).data;
    expect(event?.pending_webhooks).toBe(1);
  });

  it('delivers every event twice when duplicates are switched on', async () => {
    expect((await admin('mode', { duplicates: true })).status).toBe(200);
    await stripe.webhookEndpoints.create({ url, enabled_events: ['customer.created'] });
    await stripe.customers.create({ name: 'Twice' });
    await emulator.webhooks.idle();
    const ids = receiver.events().map((e) => e.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
  });

  it('delivers a window of events in reverse when out of order', async () => {
    emulator.webhooks.setMode({ outOfOrder: 'reverse', windowSize: 3, windowMs: 1000 });
    await stripe.webhookEndpoints.create({ url, enabled_events: ['customer.created'] });
    const created: string[] = [];
    for (const name of ['first', 'second', 'third'])
      created.push((await stripe.customers.create({ name })).id);
    await emulator.webhooks.idle();
    expect(receiver.events().map((e) => (e.data.object as { id: string }).id)).toEqual(
      [...created].reverse(),
    );
  });

  it('holds deliveries while paused and sends them on resume', async () => {
    await stripe.webhookEndpoints.create({ url, enabled_events: ['customer.created'] });
    expect((await admin('pause')).status).toBe(200);
    await stripe.customers.create({ name: 'Held' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.received).toHaveLength(0);
    await admin('resume');
    expect(await (await admin('idle', { timeout_ms: 5000 })).json()).toEqual({ idle: true });
    expect(receiver.received).toHaveLength(1);
  });

  it("sends connected accounts' events, with account, only to connect endpoints", async () => {
    const connectReceiver = new WebhookReceiver();
    const connectUrl = await connectReceiver.start();
    try {
      await stripe.webhookEndpoints.create({ url, enabled_events: ['customer.created'] });
      await stripe.webhookEndpoints.create({
        url: connectUrl,
        enabled_events: ['customer.created'],
        connect: true,
      });
      const connected = emulator.state.createAccount('Connected shop');
      connected.connectedTo = emulator.state.platform.id;
      await stripe.customers.create({ name: 'Platform customer' });
      await stripe.customers.create({ name: 'Shop customer' }, { stripeAccount: connected.id });
      await emulator.webhooks.idle();
      expect(receiver.events().map((e) => [e.data.object.name, e.account])).toEqual([
        ['Platform customer', undefined],
      ]);
      expect(connectReceiver.events().map((e) => [e.data.object.name, e.account])).toEqual([
        ['Shop customer', connected.id],
      ]);
    } finally {
      await connectReceiver.stop();
    }
  });

  it('refuses event types it does not know, naming the entry', async () => {
    const error = await stripe.webhookEndpoints
      .create({ url, enabled_events: ['customer.created', 'customer.exploded' as 'customer.created'] })
      .catch((e: unknown) => e as Stripe.errors.StripeError);
    expect(error).toMatchObject({ statusCode: 400, param: 'enabled_events[1]' });
  });
});
