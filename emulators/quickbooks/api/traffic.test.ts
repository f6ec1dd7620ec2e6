import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startQuickBooksEmulator, type QuickBooksEmulator } from '../server.js';
import { qboClient, type QboTestClient } from '../testing.js';

/** Throttling (429 / 3001) and injected faults, driven through the admin API. */
describe('QuickBooks emulator: limits and faults', () => {
  let emulator: QuickBooksEmulator;
  let qbo: QboTestClient;
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${emulator.url}/_emulator/${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  beforeAll(async () => {
    emulator = await startQuickBooksEmulator();
    qbo = qboClient(emulator);
  });
  afterAll(() => emulator.close());
  beforeEach(async () => {
    await admin('DELETE', 'faults');
    await admin('POST', 'limits', { perMinute: 0, concurrent: 0, batchPerMinute: 0, timeScale: 1 });
  });

  const line = { Amount: 10, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} };

  it('starts with QuickBooks’ limits unless told otherwise', async () => {
    const defaults = await startQuickBooksEmulator();
    const scaled = await startQuickBooksEmulator({ limits: { timeScale: 60 } });
    const off = await startQuickBooksEmulator({ limits: false });
    try {
      expect(defaults.traffic.limits).toEqual({
        perMinute: 500,
        concurrent: 10,
        batchPerMinute: 40,
        timeScale: 1,
      });
      expect(scaled.traffic.limits).toMatchObject({ perMinute: 500, timeScale: 60 });
      expect(off.traffic.limits).toMatchObject({ perMinute: 0, concurrent: 0, batchPerMinute: 0 });
    } finally {
      await Promise.all([defaults.close(), scaled.close(), off.close()]);
    }
  });

  it('throttles past the per-minute limit with 429 ThrottleExceeded, until the (scaled) minute passes', async () => {
    await admin('POST', 'limits', { perMinute: 5, timeScale: 60 });
    const statuses: number[] = [];
    let throttled: Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let i = 0; i < 7; i += 1) {
      const answer = await qbo.get('preferences');
      statuses.push(answer.status);
      if (answer.status === 429) throttled = answer.body;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(throttled?.Fault).toMatchObject({ type: 'SERVICE', Error: [{ code: '3001' }] });
    await admin('POST', 'clock/advance', { ms: 1_000 });
    expect((await qbo.get('preferences')).status).toBe(200);
  });

  it('counts batch requests per minute on their own', async () => {
    await admin('POST', 'limits', { batchPerMinute: 2, timeScale: 60 });
    const batch = () =>
      qbo.post('batch', { BatchItemRequest: [{ bId: '1', Query: 'select * from TaxCode' }] });
    expect((await batch()).status).toBe(200);
    expect((await batch()).status).toBe(200);
    expect((await batch()).status).toBe(429);
    expect((await qbo.get('preferences')).status).toBe(200);
  });

  it('throttles past the concurrent-request limit', async () => {
    await admin('POST', 'limits', { concurrent: 2 });
    await admin('POST', 'faults', { kind: 'latency', latencyMs: 300, count: 3, entity: 'preferences' });
    const answers = await Promise.all([
      qbo.get('preferences'),
      qbo.get('preferences'),
      qbo.get('preferences'),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 429]);
  });

  it('injects a 500 SystemFault for the next matching request only', async () => {
    await admin('POST', 'faults', {
      kind: 'error',
      count: 1,
      pathPrefix: `/v3/company/${qbo.realmId}/invoice`,
    });
    await admin('POST', 'faults', {
      kind: 'error',
      count: 1,
      entity: 'invoice',
      method: 'POST',
      realmId: 'another',
    });
    const customer = await qbo.create('Customer', { DisplayName: 'Fault Customer' });
    const failed = await qbo.post('invoice', { CustomerRef: { value: customer.Id }, Line: [line] });
    expect(failed.status).toBe(500);
    expect(failed.body.Fault.type).toBe('SystemFault');
    expect(
      (await qbo.query(`select count(*) from Invoice where CustomerRef = '${customer.Id}'`)).body
        .QueryResponse.totalCount,
    ).toBe(0);
    expect((await qbo.post('invoice', { CustomerRef: { value: customer.Id }, Line: [line] })).status).toBe(
      200,
    );
  });

  it('times out before doing the work: the connection drops and nothing is created', async () => {
    await admin('POST', 'faults', { kind: 'timeout', count: 1, entity: 'customer', holdMs: 50 });
    await expect(qbo.post('customer', { DisplayName: 'Never Made' })).rejects.toThrow();
    expect(
      (await qbo.query("select count(*) from Customer where DisplayName = 'Never Made'")).body.QueryResponse
        .totalCount,
    ).toBe(0);
  });

  it('loses the response after creating the invoice; the same requestid then replays the creation', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Lost Response Customer' });
    await admin('POST', 'faults', { kind: 'lost_response', count: 1, entity: 'invoice', holdMs: 50 });
    const body = { CustomerRef: { value: customer.Id }, DocNumber: 'LOST-1', Line: [line] };
    await expect(qbo.post('invoice', body, { requestid: 'lost-1' })).rejects.toThrow();
    const found = await qbo.query("select * from Invoice where DocNumber = 'LOST-1'");
    expect(found.body.QueryResponse.Invoice).toHaveLength(1);
    const retried = await qbo.post('invoice', body, { requestid: 'lost-1' });
    expect(retried.status).toBe(200);
    expect(retried.body.Invoice.Id).toBe(found.body.QueryResponse.Invoice[0].Id);
    const withoutId = await qbo.post('invoice', body);
    expect(withoutId.body.Fault.Error[0].code).toBe('6140');
  });

  it('lets a retry racing the first request with the same requestid wait for its answer', async () => {
    await admin('POST', 'faults', { kind: 'latency', latencyMs: 200, count: 1, entity: 'customer' });
    const body = { DisplayName: 'Raced Customer' };
    const [first, second] = await Promise.all([
      qbo.post('customer', body, { requestid: 'race-1' }),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
        qbo.post('customer', body, { requestid: 'race-1' }),
      ),
    ]);
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it('forces throttling, lists and clears faults, and validates admin input', async () => {
    expect((await admin('POST', 'faults', { kind: 'throttle', count: 1 })).status).toBe(201);
    expect((await admin('GET', 'faults')).body.faults).toHaveLength(1);
    expect((await qbo.get('preferences')).status).toBe(429);
    expect((await qbo.get('preferences')).status).toBe(200);
    expect((await admin('POST', 'faults', { kind: 'explode' })).status).toBe(400);
    expect((await admin('POST', 'limits', { perMinute: -1 })).status).toBe(400);
  });

  it('creates companies, advances the clock and resets through the admin API', async () => {
    const created = await admin('POST', 'companies', { name: 'Admin Made Co' });
    expect(created.status).toBe(201);
    const realmId = created.body.realmId as string;
    const listed = (await admin('GET', 'companies')).body.companies as { realmId: string }[];
    expect(listed.map((company) => company.realmId)).toContain(realmId);
    const token = (await admin('POST', `companies/${realmId}/token`)).body.access_token as string;
    const client = qboClient(emulator, realmId, token);
    await client.create('Customer', { DisplayName: 'Before Reset' });
    const before = emulator.clock.now();
    await admin('POST', 'clock/advance', { seconds: 600 });
    expect(emulator.clock.now() - before).toBeGreaterThanOrEqual(600_000);
    await admin('POST', 'reset');
    expect(
      (await client.query("select count(*) from Customer where DisplayName = 'Before Reset'")).body
        .QueryResponse.totalCount,
    ).toBe(0);
    expect((await client.get(`companyinfo/${realmId}`)).body.CompanyInfo.CompanyName).toBe('Admin Made Co');
  });
});
