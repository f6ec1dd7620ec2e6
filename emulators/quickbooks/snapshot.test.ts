import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type QuickBooksEmulator,
  type QuickBooksEmulatorOptions,
  type QuickBooksEmulatorSnapshot,
  startQuickBooksEmulator,
} from './server.js';
import { type Answer, qboClient, type QboTestClient } from './testing.js';

const REDIRECT = 'http://127.0.0.1:9/quickbooks/callback';
const CLIENT_ID = 'ABsnapshotClient';
const CLIENT_SECRET = 'snapshotSecret';
// Rotate on every refresh, so one refresh leaves a superseded token inside its grace period.
const OPTIONS: QuickBooksEmulatorOptions = {
  limits: false,
  redirectUris: [REDIRECT],
  oauth: { rotateRefreshAfterSec: 0 },
};
const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;

interface Tokens {
  access_token: string;
  refresh_token: string;
}

async function connect(emulator: QuickBooksEmulator, realmId: string): Promise<Tokens> {
  const authorize = new URL('/connect/oauth2', emulator.url);
  const query = { client_id: CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT };
  authorize.search = new URLSearchParams({ ...query, scope: 'com.intuit.quickbooks.accounting' }).toString();
  const page = await (await fetch(authorize)).text();
  const request = /name="request" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const answer = await form(emulator, '/connect/oauth2', { request, realmId, action: 'connect' });
  const code = new URL(answer.headers.get('location') ?? '').searchParams.get('code') ?? '';
  return (await tokenCall(emulator, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).body;
}

function form(emulator: QuickBooksEmulator, path: string, fields: Record<string, string>, auth?: string) {
  return fetch(new URL(path, emulator.url), {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...(auth ? { authorization: auth } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  });
}

async function tokenCall(emulator: QuickBooksEmulator, fields: Record<string, string>) {
  const response = await form(emulator, '/oauth2/v1/tokens/bearer', fields, basic);
  return { status: response.status, body: (await response.json()) as Tokens };
}

/** An answer without the `time` QuickBooks stamps on every response. */
const body = (answer: Answer) => {
  const { time, ...rest } = answer.body;
  expect(time).toEqual(expect.any(String));
  return rest;
};

/** State built over HTTP, snapshotted, serialized, and restored into a second emulator. */
describe('QuickBooks emulator: snapshot and restore', () => {
  let first: QuickBooksEmulator;
  let second: QuickBooksEmulator;
  let qbo: QboTestClient;
  let tokens: Tokens;
  let oldRefresh: string;
  let snapshot: QuickBooksEmulatorSnapshot;
  let changes = 0;
  const ids: Record<string, string> = {};
  const before: Record<string, unknown> = {};
  const customerBody = { DisplayName: 'Replayed Customer' };

  beforeAll(async () => {
    first = await startQuickBooksEmulator({ ...OPTIONS, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const realmId = first.realmIds[0] ?? '';
    const initial = await connect(first, realmId);
    oldRefresh = initial.refresh_token;
    const refreshed = await tokenCall(first, { grant_type: 'refresh_token', refresh_token: oldRefresh });
    tokens = refreshed.body;
    expect(tokens.refresh_token).not.toBe(oldRefresh);
    qbo = qboClient(first, realmId, tokens.access_token);
    before.since = new Date(first.clock.now() - 1000).toISOString();

    const customer = await qbo.create('Customer', { DisplayName: 'Snapshot Customer' });
    const income = (await qbo.query("select * from Account where AccountType = 'Income'")).body.QueryResponse
      .Account[0];
    const item = await qbo.create('Item', {
      Name: 'Hours',
      Type: 'Service',
      IncomeAccountRef: { value: income.Id },
    });
    const line = (amount: number) => ({
      Amount: amount,
      DetailType: 'SalesItemLineDetail',
      SalesItemLineDetail: { ItemRef: { value: item.Id } },
    });
    const paid = await qbo.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(100)] });
    const payment = await qbo.create('Payment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 40,
      Line: [{ Amount: 40, LinkedTxn: [{ TxnId: paid.Id, TxnType: 'Invoice' }] }],
    });
    const voided = await qbo.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(25)] });
    await qbo.post('invoice', { Id: voided.Id, SyncToken: voided.SyncToken }, { operation: 'void' });
    const deleted = await qbo.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(10)] });
    await qbo.post('invoice', { Id: deleted.Id, SyncToken: deleted.SyncToken }, { operation: 'delete' });
    before.replay = body(await qbo.post('customer', customerBody, { requestid: 'snap-1' }));
    Object.assign(ids, {
      customer: customer.Id,
      item: item.Id,
      paid: paid.Id,
      payment: payment.Id,
      voided: voided.Id,
      deleted: deleted.Id,
    });
    expect([paid.DocNumber, voided.DocNumber, deleted.DocNumber]).toEqual(['1001', '1002', '1003']);
    await fetch(`${first.url}/_emulator/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: 600 }),
    });

    before.customer = body(await qbo.get(`customer/${customer.Id}`));
    before.item = body(await qbo.get(`item/${item.Id}`));
    before.paid = body(await qbo.get(`invoice/${paid.Id}`));
    before.payment = body(await qbo.get(`payment/${payment.Id}`));
    before.voided = body(await qbo.get(`invoice/${voided.Id}`));
    before.invoices = body(await qbo.query('select * from Invoice'));
    before.accounts = body(await qbo.query('select * from Account'));
    before.cdc = body(
      await qbo.get('cdc', { entities: 'Customer,Item,Invoice,Payment', changedSince: String(before.since) }),
    );
    before.clockOffset = first.clock.offset();

    // A person left on the consent page while the emulator restarts.
    const authorize = new URL('/connect/oauth2', first.url);
    authorize.search = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'com.intuit.quickbooks.accounting',
    }).toString();
    before.consent = /name="request" value="([^"]+)"/.exec(await (await fetch(authorize)).text())?.[1];
    await fetch(`${first.url}/_emulator/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/hooks', paused: true, format: 'legacy' }),
    });

    snapshot = JSON.parse(JSON.stringify(first.snapshot())) as QuickBooksEmulatorSnapshot;
    await first.close();
    second = await startQuickBooksEmulator({ ...OPTIONS, restore: snapshot, onChange: () => (changes += 1) });
    qbo = qboClient(second, realmId, tokens.access_token);
  });
  afterAll(async () => {
    await second?.close();
  });

  it('keeps the realms, the app credentials and the clock', () => {
    expect(snapshot.version).toBe(1);
    expect(second.realmIds).toEqual(first.realmIds);
    expect(second.state.list()).toEqual(first.state.list());
    expect([second.clientId, second.clientSecret, second.verifierToken]).toEqual([
      CLIENT_ID,
      CLIENT_SECRET,
      first.verifierToken,
    ]);
    expect(second.clock.offset()).toBe(before.clockOffset);
    expect(second.clock.offset()).toBeGreaterThanOrEqual(600_000);
  });

  it('holds exactly the saved companies and OAuth state, change times and counters included', () => {
    const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    const realmId = second.realmIds[0] ?? '';
    expect(plain(second.state.company(realmId)?.toSnapshot())).toEqual(snapshot.companies[0]);
    expect(plain(second.oauth.store.snapshot())).toEqual(snapshot.oauth);
    expect(second.snapshot().webhooks).toEqual(snapshot.webhooks);
  });

  it('reads back every object as it was: Ids, SyncTokens, MetaData, balances', async () => {
    expect(body(await qbo.get(`customer/${ids.customer}`))).toEqual(before.customer);
    expect(body(await qbo.get(`item/${ids.item}`))).toEqual(before.item);
    expect(body(await qbo.get(`invoice/${ids.paid}`))).toEqual(before.paid);
    expect((before.paid as Answer['body']).Invoice.Balance).toBe(60);
    expect(body(await qbo.get(`payment/${ids.payment}`))).toEqual(before.payment);
    expect(body(await qbo.get(`invoice/${ids.voided}`))).toEqual(before.voided);
    expect((await qbo.get(`invoice/${ids.deleted}`)).status).toBe(400);
    expect(body(await qbo.query('select * from Invoice'))).toEqual(before.invoices);
    expect(body(await qbo.query('select * from Account'))).toEqual(before.accounts);
  });

  it('answers CDC since before the restart with the earlier changes, the deletion included', async () => {
    const entities = 'Customer,Item,Invoice,Payment';
    const cdc = body(await qbo.get('cdc', { entities, changedSince: String(before.since) }));
    expect(cdc).toEqual(before.cdc);
    const invoices = (
      cdc.CDCResponse[0].QueryResponse as Record<string, { Id: string; status?: string }[]>[]
    ).flatMap((response) => response.Invoice ?? []);
    expect(invoices).toContainEqual(expect.objectContaining({ Id: ids.deleted, status: 'Deleted' }));
  });

  it('replays a requestid answered before the restart', async () => {
    expect(body(await qbo.post('customer', customerBody, { requestid: 'snap-1' }))).toEqual(before.replay);
  });

  it('keeps the access token, the current refresh token and the rotated one within its grace', async () => {
    expect((await qbo.get('preferences')).status).toBe(200);
    const stale = await tokenCall(second, { grant_type: 'refresh_token', refresh_token: oldRefresh });
    expect(stale.status).toBe(200);
    expect(stale.body.refresh_token).toBe(tokens.refresh_token);
    const current = await tokenCall(second, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(current.status).toBe(200);
    const fresh = qboClient(second, qbo.realmId, current.body.access_token);
    expect((await fresh.get(`customer/${ids.customer}`)).status).toBe(200);
  });

  it('finishes a consent page opened before the restart', async () => {
    const request = String(before.consent);
    const answer = await form(second, '/connect/oauth2', {
      request,
      realmId: qbo.realmId,
      action: 'connect',
    });
    expect(answer.status).toBe(302);
    const code = new URL(answer.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const exchange = await tokenCall(second, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
    });
    expect(exchange.status).toBe(200);
  });

  it('gives new objects fresh Ids and continues the DocNumber sequence', async () => {
    const taken = new Set(
      snapshot.companies[0]?.tables &&
        Object.values(snapshot.companies[0].tables)
          .flat()
          .map((o) => o.Id),
    );
    const customer = await qbo.create('Customer', { DisplayName: 'After Restart' });
    expect(taken.has(customer.Id)).toBe(false);
    expect(Number(customer.Id)).toBeGreaterThan(Number(ids.deleted));
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [
        {
          Amount: 5,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: ids.item } },
        },
      ],
    });
    expect(invoice.DocNumber).toBe('1004');
  });

  it('calls onChange for a write and not for a read', async () => {
    changes = 0;
    await qbo.get(`customer/${ids.customer}`);
    await qbo.query('select * from Customer');
    expect(changes).toBe(0);
    await qbo.create('Customer', { DisplayName: 'Noticed' });
    expect(changes).toBe(1);
    const admin = await fetch(`${second.url}/_emulator/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ms: 1 }),
    });
    expect(admin.status).toBe(200);
    // Control-panel changes are reported from onResponse, which may run just after the client read.
    await expect.poll(() => changes).toBe(2);
    await tokenCall(second, { grant_type: 'refresh_token', refresh_token: 'no-such-token' });
    expect(changes).toBe(2);
    await tokenCall(second, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(changes).toBeGreaterThan(2);
  });

  it('refuses a snapshot of another version', async () => {
    const future = { ...snapshot, version: 2 } as unknown as QuickBooksEmulatorSnapshot;
    await expect(startQuickBooksEmulator({ ...OPTIONS, restore: future })).rejects.toThrow(/version 2/);
  });
});
