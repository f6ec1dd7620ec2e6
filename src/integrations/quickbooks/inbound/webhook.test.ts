import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import { connectQuickBooks, type QboHarness, startQboHarness } from '../connection/test-harness.js';
import { CDC_EVERY_MS, QBO_CDC_JOB, scheduleQuickBooksCdc } from './cdc.js';
import { QBO_NOTIFICATION_JOB } from './inbox.js';
import { signIntuitPayload } from './signature.js';

/**
 * POST /webhooks/quickbooks over real HTTP, with bodies signed as Intuit signs them. No worker runs
 * here: these tests look at what the route stores and enqueues, nothing else.
 */
describe.each(backends)('POST /webhooks/quickbooks on $name', (backend) => {
  let h: QboHarness;
  let url: string;
  const tenants: { tenantId: string; realmId: string }[] = [];

  beforeAll(async () => {
    h = await startQboHarness(backend, { companies: 2 });
    await h.api.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(h.api.app.server.address() as AddressInfo).port}/webhooks/quickbooks`;
    for (const realmId of h.emulator.realmIds) {
      const tenant = await h.api.tenant();
      const answer = await connectQuickBooks(tenant, { realmId });
      expect(answer.statusCode, answer.body).toBeLessThan(400);
      tenants.push({ tenantId: tenant.tenantId, realmId });
    }
  });
  afterAll(async () => {
    await h.close();
  });

  const post = async (body: string, signature?: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature === undefined ? {} : { 'intuit-signature': signature }),
      },
      body,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const signed = (body: string) => post(body, signIntuitPayload(body, h.emulator.verifierToken));
  const inbox = (eventIds: readonly string[]) =>
    h.api.db.query<{
      event_id: string;
      tenant_id: string | null;
      status: string;
      note: string | null;
      type: string;
    }>(
      `SELECT event_id, tenant_id, status, note, type FROM webhook_inbox
       WHERE provider = 'quickbooks' AND event_id = ANY($1) ORDER BY event_id`,
      [[...eventIds]],
    );
  const jobsFor = (eventIds: readonly string[]) =>
    h.api.db.query<{ tenant_id: string; ordering_key: string }>(
      `SELECT j.tenant_id, j.ordering_key FROM jobs j JOIN webhook_inbox w ON j.payload->>'inbox_id' = w.id
       WHERE j.type = $1 AND w.event_id = ANY($2) ORDER BY j.ordering_key`,
      [QBO_NOTIFICATION_JOB, [...eventIds]],
    );
  const cloudEvent = (id: string, realmId: string, type: string, entityId: string) => ({
    specversion: '1.0',
    id,
    source: 'intuit.test',
    type,
    datacontenttype: 'application/json',
    time: '2026-11-22T08:00:00.000Z',
    intuitentityid: entityId,
    intuitaccountid: realmId,
    data: {},
  });

  it('refuses a forged, missing or other-token signature with 400 and stores nothing', async () => {
    const [a] = tenants;
    const body = JSON.stringify([cloudEvent('forged-1', a?.realmId ?? '', 'qbo.invoice.updated.v1', '1')]);
    const forged = await post(body, signIntuitPayload(body, 'not-the-verifier-token'));
    expect(forged.status).toBe(400);
    expect((forged.json.error as { code?: string }).code).toBe('invalid_signature');
    expect((await post(body)).status).toBe(400);
    // A valid signature of other bytes: the body was changed after signing.
    expect((await post(body, signIntuitPayload(`${body} `, h.emulator.verifierToken))).status).toBe(400);
    expect(await inbox(['forged-1'])).toEqual([]);
    expect(await jobsFor(['forged-1'])).toEqual([]);
  });

  it('routes one POST with two companies (and an unknown one) in one go, and drops redeliveries', async () => {
    const [a, b] = tenants;
    if (!a || !b) throw new Error('two connected tenants expected');
    const events = [
      cloudEvent('ce-a-1', a.realmId, 'qbo.invoice.updated.v1', '11'),
      cloudEvent('ce-b-1', b.realmId, 'qbo.payment.created.v1', '21'),
      cloudEvent('ce-a-2', a.realmId, 'qbo.customer.updated.v1', '12'),
      cloudEvent('ce-x-1', '999999999', 'qbo.invoice.created.v1', '31'),
      cloudEvent('ce-a-3', a.realmId, 'qbo.vendor.created.v1', '13'),
    ];
    const body = JSON.stringify(events);
    const first = await signed(body);
    expect(first).toEqual({ status: 200, json: { received: true, events: 5, stored: 5 } });
    const ids = events.map((event) => event.id);
    expect(await inbox(ids)).toEqual([
      { event_id: 'ce-a-1', tenant_id: a.tenantId, status: 'pending', note: null, type: 'Invoice.Update' },
      { event_id: 'ce-a-2', tenant_id: a.tenantId, status: 'pending', note: null, type: 'Customer.Update' },
      {
        event_id: 'ce-a-3',
        tenant_id: a.tenantId,
        status: 'ignored',
        note: 'QuickBooks Vendor changes are not pulled into ledgerbridge',
        type: 'Vendor.Create',
      },
      { event_id: 'ce-b-1', tenant_id: b.tenantId, status: 'pending', note: null, type: 'Payment.Create' },
      {
        event_id: 'ce-x-1',
        tenant_id: null,
        status: 'ignored',
        note: 'no business has connected QuickBooks company 999999999',
        type: 'Invoice.Create',
      },
    ]);
    const jobs = await jobsFor(ids);
    expect(jobs).toHaveLength(3);
    expect(jobs).toEqual(
      expect.arrayContaining([
        { tenant_id: a.tenantId, ordering_key: `quickbooks:${a.realmId}:Customer:12` },
        { tenant_id: a.tenantId, ordering_key: `quickbooks:${a.realmId}:Invoice:11` },
        { tenant_id: b.tenantId, ordering_key: `quickbooks:${b.realmId}:Payment:21` },
      ]),
    );

    // Intuit retries the same POST; and a later POST repeats one event next to a new one.
    expect((await signed(body)).json).toEqual({ received: true, events: 5, stored: 0 });
    const next = JSON.stringify([events[0], cloudEvent('ce-a-4', a.realmId, 'qbo.invoice.voided.v1', '11')]);
    expect((await signed(next)).json).toEqual({ received: true, events: 2, stored: 1 });
    expect(await jobsFor([...ids, 'ce-a-4'])).toHaveLength(4);
  });

  it('reads the legacy eventNotifications format, keyed by realm, entity, id, operation and time', async () => {
    const [a, b] = tenants;
    if (!a || !b) throw new Error('two connected tenants expected');
    const legacy = {
      eventNotifications: [
        {
          realmId: a.realmId,
          dataChangeEvent: {
            entities: [
              { name: 'Invoice', id: '41', operation: 'Update', lastUpdated: '2026-11-22T08:01:00.000Z' },
              { name: 'Invoice', id: '41', operation: 'Update', lastUpdated: '2026-11-22T08:02:00.000Z' },
            ],
          },
        },
        {
          realmId: b.realmId,
          dataChangeEvent: {
            entities: [
              { name: 'Payment', id: '42', operation: 'Delete', lastUpdated: '2026-11-22T08:01:00.000Z' },
            ],
          },
        },
      ],
    };
    const body = JSON.stringify(legacy);
    expect((await signed(body)).json).toEqual({ received: true, events: 3, stored: 3 });
    const ids = [
      `${a.realmId}:Invoice:41:Update:2026-11-22T08:01:00.000Z`,
      `${a.realmId}:Invoice:41:Update:2026-11-22T08:02:00.000Z`,
      `${b.realmId}:Payment:42:Delete:2026-11-22T08:01:00.000Z`,
    ];
    const rows = await inbox(ids);
    expect(rows.map((row) => [row.event_id, row.tenant_id, row.status, row.type])).toEqual(
      [
        [ids[0], a.tenantId, 'pending', 'Invoice.Update'],
        [ids[1], a.tenantId, 'pending', 'Invoice.Update'],
        [ids[2], b.tenantId, 'pending', 'Payment.Delete'],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    expect((await signed(body)).json).toEqual({ received: true, events: 3, stored: 0 });
  });

  it('schedules one CDC sweep per connected company per period, however often it is called', async () => {
    const sweeps = () =>
      h.api.db.query<{ tenant_id: string; dedupe_key: string }>(
        `SELECT tenant_id, dedupe_key FROM jobs WHERE type = $1 ORDER BY dedupe_key`,
        [QBO_CDC_JOB],
      );
    const at = new Date('2026-11-22T09:00:00Z');
    expect(await scheduleQuickBooksCdc(h.api.db, at)).toBe(tenants.length);
    await scheduleQuickBooksCdc(h.api.db, new Date(at.getTime() + 1000));
    expect(
      (await sweeps()).filter((job) =>
        job.dedupe_key.endsWith(`-${Math.floor(at.getTime() / CDC_EVERY_MS)}`),
      ),
    ).toHaveLength(tenants.length);
    const before = (await sweeps()).length;
    await scheduleQuickBooksCdc(h.api.db, new Date(at.getTime() + CDC_EVERY_MS));
    expect(await sweeps()).toHaveLength(before + tenants.length);
    expect(new Set((await sweeps()).map((job) => job.tenant_id))).toEqual(
      new Set(tenants.map((t) => t.tenantId)),
    );
  });

  it('answers 400 to a signed body that is not a notification, storing nothing', async () => {
    const before = await h.api.db.query(`SELECT count(*)::int AS n FROM webhook_inbox`);
    expect((await signed('{"hello":"world"}')).status).toBe(400);
    expect((await signed('[{"id":"x"}]')).status).toBe(400);
    expect(await h.api.db.query(`SELECT count(*)::int AS n FROM webhook_inbox`)).toEqual(before);
  });
});
