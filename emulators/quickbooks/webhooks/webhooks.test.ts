import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../stripe/webhooks/receiver.js';
import { ChangeFeed, type ChangeEvent } from '../kernel/changes.js';
import { QboWebhookDelivery, registerWebhookAdmin, type CloudEvent } from './index.js';

const VERIFIER = 'verifier-token-0f3c';

const change = (over: Partial<ChangeEvent> = {}): ChangeEvent => ({
  realmId: '9130350000000001',
  entity: 'Invoice',
  id: '130',
  operation: 'Create',
  lastUpdated: '2026-03-01T10:00:00-08:00',
  ...over,
});

/** What a receiver must do: recompute the HMAC over the raw body and compare. */
const verify = (body: string, signature: unknown) =>
  createHmac('sha256', VERIFIER).update(body).digest('base64') === signature;

describe('QuickBooks emulator webhooks', () => {
  let feed: ChangeFeed;
  let delivery: QboWebhookDelivery;
  let receiver: WebhookReceiver;
  let url: string;

  const start = (options: Partial<ConstructorParameters<typeof QboWebhookDelivery>[1]> = {}) => {
    delivery = new QboWebhookDelivery(feed, {
      verifierToken: VERIFIER,
      batchWindowMs: 20,
      retryDelaysMs: [10, 20],
      ...options,
    });
    delivery.setEndpoint(url);
  };
  const cloudEvents = () =>
    receiver.received.filter((r) => r.status < 300).map((r) => JSON.parse(r.body) as CloudEvent[]);

  beforeEach(async () => {
    feed = new ChangeFeed();
    receiver = new WebhookReceiver();
    url = await receiver.start();
  });
  afterEach(async () => {
    await delivery.close();
    await receiver.stop();
  });

  it('sends the changes of a window in one signed CloudEvents POST, companies mixed', async () => {
    start();
    feed.publish(change());
    feed.publish(change({ realmId: '9130350000000002', entity: 'Customer', id: '7', operation: 'Update' }));
    feed.publish(change({ entity: 'Payment', id: '55', operation: 'Void' }));
    await delivery.idle();

    expect(receiver.received).toHaveLength(1);
    const [post] = receiver.received;
    if (!post) throw new Error('no POST');
    expect(post.headers['content-type']).toBe('application/json');
    expect(verify(post.body, post.headers['intuit-signature'])).toBe(true);
    expect(verify(post.body.replace('130', '131'), post.headers['intuit-signature'])).toBe(false);

    const events = JSON.parse(post.body) as CloudEvent[];
    expect(events.map((e) => [e.type, e.intuitentityid, e.intuitaccountid])).toEqual([
      ['qbo.invoice.created.v1', '130', '9130350000000001'],
      ['qbo.customer.updated.v1', '7', '9130350000000002'],
      ['qbo.payment.voided.v1', '55', '9130350000000001'],
    ]);
    expect(events[0]).toMatchObject({
      specversion: '1.0',
      datacontenttype: 'application/json',
      time: '2026-03-01T18:00:00.000Z',
      data: {},
    });
    expect(events[0]?.id).toMatch(/^[0-9a-f-]{36}-Invoice-130$/);
    expect(events[0]?.source).toMatch(/^intuit\.[A-Za-z0-9+/]{43}=$/);
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
  });

  it('sends the older eventNotifications payload grouped by company when asked', async () => {
    start({ format: 'legacy' });
    feed.publish(change());
    feed.publish(change({ realmId: '2', entity: 'Customer', id: '7', operation: 'Merge' }));
    feed.publish(change({ id: '131', operation: 'Emailed' }));
    await delivery.idle();
    expect(JSON.parse(receiver.received[0]?.body ?? '')).toEqual({
      eventNotifications: [
        {
          realmId: '9130350000000001',
          dataChangeEvent: {
            entities: [
              { name: 'Invoice', id: '130', operation: 'Create', lastUpdated: '2026-03-01T18:00:00.000Z' },
              { name: 'Invoice', id: '131', operation: 'Emailed', lastUpdated: '2026-03-01T18:00:00.000Z' },
            ],
          },
        },
        {
          realmId: '2',
          dataChangeEvent: {
            entities: [
              { name: 'Customer', id: '7', operation: 'Merge', lastUpdated: '2026-03-01T18:00:00.000Z' },
            ],
          },
        },
      ],
    });
  });

  it('puts at most 100 events in one POST', async () => {
    start();
    for (let i = 1; i <= 150; i += 1) feed.publish(change({ id: String(i) }));
    await delivery.idle();
    expect(cloudEvents().map((events) => events.length)).toEqual([100, 50]);
    expect(
      cloudEvents()
        .flat()
        .map((e) => e.intuitentityid),
    ).toEqual(Array.from({ length: 150 }, (_, i) => String(i + 1)));
  });

  it('retries a failing POST on schedule and holds later changes until it is acknowledged', async () => {
    receiver.respond = (index) => {
      // While the first POST is failing, another change happens.
      if (index === 0) feed.publish(change({ id: 'later' }));
      return index < 2 ? 500 : 200;
    };
    start();
    feed.publish(change({ id: 'first' }));
    await delivery.idle();
    expect(delivery.deliveries().map((a) => [a.attempt, a.status, a.delivered])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
      [1, 200, true],
    ]);
    const bodies = receiver.received.map((r) =>
      (JSON.parse(r.body) as CloudEvent[]).map((e) => e.intuitentityid),
    );
    expect(bodies).toEqual([['first'], ['first'], ['first'], ['later']]);
    // A retry repeats the same bytes: same event ids, same signature.
    expect(new Set(receiver.received.slice(0, 3).map((r) => r.headers['intuit-signature'])).size).toBe(1);
  });

  it('counts an endpoint that does not answer in time as failed', async () => {
    let calls = 0;
    const slow = createServer((request, response) => {
      calls += 1;
      const delay = calls === 1 ? 500 : 0;
      request.resume();
      setTimeout(() => response.writeHead(200).end(), delay);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      start({ timeoutMs: 100 });
      delivery.setEndpoint(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/hooks`);
      feed.publish(change());
      await delivery.idle();
      const attempts = delivery.deliveries();
      expect(attempts.map((a) => [a.attempt, a.status, a.delivered])).toEqual([
        [1, null, false],
        [2, 200, true],
      ]);
      expect(attempts[0]?.error).toMatch(/abort|timeout/i);
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('delivers every POST twice when duplicate is on', async () => {
    start();
    delivery.setSwitches({ duplicate: true });
    feed.publish(change());
    await delivery.idle();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]?.body).toBe(receiver.received[1]?.body);
    expect(delivery.deliveries().map((a) => a.duplicate)).toEqual([false, true]);
  });

  it('sends each change in its own POST, reversed, when shuffle is reverse', async () => {
    start();
    delivery.setSwitches({ shuffle: 'reverse' });
    for (const id of ['1', '2', '3']) feed.publish(change({ id }));
    await delivery.idle();
    expect(cloudEvents().map((events) => events.map((e) => e.intuitentityid))).toEqual([['3'], ['2'], ['1']]);
  });

  it('never delivers dropped changes, by count or by predicate, and lists them', async () => {
    start();
    delivery.setSwitches({ dropNext: 1 });
    delivery.drop((c) => c.entity === 'Payment');
    feed.publish(change({ id: 'lost' }));
    feed.publish(change({ entity: 'Payment', id: '9' }));
    feed.publish(change({ id: 'kept' }));
    await delivery.idle();
    expect(
      cloudEvents()
        .flat()
        .map((e) => e.intuitentityid),
    ).toEqual(['kept']);
    expect(delivery.dropped().map((d) => d.id)).toEqual(['lost', '9']);
    expect(delivery.getSwitches().dropNext).toBe(0);
  });

  it('holds everything while paused and sends it on resume; no endpoint means no webhooks', async () => {
    start();
    delivery.setSwitches({ paused: true });
    feed.publish(change({ id: 'held' }));
    let settled = false;
    const idle = delivery.idle().then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect([receiver.received.length, settled]).toEqual([0, false]);
    delivery.setSwitches({ paused: false });
    await idle;
    expect(
      cloudEvents()
        .flat()
        .map((e) => e.intuitentityid),
    ).toEqual(['held']);

    delivery.setEndpoint(undefined);
    feed.publish(change({ id: 'nowhere' }));
    await delivery.idle();
    expect(receiver.received).toHaveLength(1);
  });

  it('notifies only about companies the app is connected to', async () => {
    start({ connected: (realmId) => realmId === '9130350000000001' });
    feed.publish(change({ realmId: '9130350000000009', id: 'other company' }));
    feed.publish(change({ id: 'connected' }));
    await delivery.idle();
    expect(
      cloudEvents()
        .flat()
        .map((e) => e.intuitentityid),
    ).toEqual(['connected']);
  });

  it('reads and sets the endpoint and switches over the admin API', async () => {
    start();
    const app = Fastify({ logger: false });
    registerWebhookAdmin(app, delivery);
    try {
      expect((await app.inject({ method: 'GET', url: '/_emulator/webhooks' })).json()).toEqual({
        url,
        format: 'cloudevents',
        duplicate: false,
        shuffle: false,
        paused: false,
        drop_next: 0,
      });
      const set = await app.inject({
        method: 'POST',
        url: '/_emulator/webhooks',
        payload: { format: 'legacy', drop_next: 1, shuffle: 'shuffle' },
      });
      expect(set.json()).toMatchObject({ format: 'legacy', drop_next: 1, shuffle: 'shuffle' });
      const bad = await app.inject({
        method: 'POST',
        url: '/_emulator/webhooks',
        payload: { format: 'xml' },
      });
      expect(bad.statusCode).toBe(400);
      feed.publish(change({ id: 'dropped' }));
      feed.publish(change({ id: 'sent' }));
      const idle = await app.inject({ method: 'POST', url: '/_emulator/webhooks/idle', payload: {} });
      expect(idle.json()).toEqual({ idle: true });
      const log = (await app.inject({ method: 'GET', url: '/_emulator/webhooks/deliveries' })).json<{
        data: { delivered: boolean }[];
        dropped: { id: string }[];
      }>();
      expect([log.data.map((a) => a.delivered), log.dropped.map((d) => d.id)]).toEqual([[true], ['dropped']]);
      const off = await app.inject({ method: 'POST', url: '/_emulator/webhooks', payload: { url: null } });
      expect(off.json()).toMatchObject({ url: null });
      expect(delivery.getEndpoint()).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
