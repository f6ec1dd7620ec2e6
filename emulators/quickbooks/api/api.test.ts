import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuickBooksEmulator, type QuickBooksEmulator } from '../server.js';
import { qboClient, type QboTestClient } from '../testing.js';

/** The REST surface around the entities: auth, requestid, query, batch, CDC. */
describe('QuickBooks emulator: REST API', () => {
  let emulator: QuickBooksEmulator;
  let qbo: QboTestClient;
  let other: QboTestClient;
  beforeAll(async () => {
    emulator = await startQuickBooksEmulator({ limits: false, companies: 2 });
    qbo = qboClient(emulator);
    other = qboClient(emulator, emulator.realmIds[1]);
  });
  afterAll(() => emulator.close());

  it('starts the requested sandbox companies, each with its own objects and Ids', async () => {
    expect(emulator.realmIds).toHaveLength(2);
    expect(emulator.realmIds[0]).toMatch(/^\d{16}$/);
    expect((await other.get(`companyinfo/${other.realmId}`)).body.CompanyInfo.CompanyName).toBe(
      'Sandbox Company US 2',
    );
    const mine = await qbo.create('Customer', { DisplayName: 'Only Mine' });
    expect((await other.get(`customer/${mine.Id}`)).body.Fault.Error[0].code).toBe('610');
  });

  it('answers 401 without or with a bad token and 403 for a token of another company', async () => {
    const url = `${emulator.url}/v3/company/${qbo.realmId}/customer/1`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { Fault: { type: string } }).Fault.type).toBe('AuthenticationFault');
    const bad = await fetch(url, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    const foreign = await fetch(url, { headers: { authorization: `Bearer ${other.token}` } });
    expect(foreign.status).toBe(403);
    emulator.oauth.expireAccessTokens(qbo.realmId);
    const expired = await fetch(url, { headers: { authorization: `Bearer ${qbo.token}` } });
    expect(expired.status).toBe(401);
    expect(
      ((await expired.json()) as { Fault: { Error: { Detail: string }[] } }).Fault.Error[0]?.Detail,
    ).toContain('expired');
    qbo = qboClient(emulator);
  });

  it('replays the first response for a repeated requestid instead of creating twice', async () => {
    const body = { DisplayName: 'Idempotent Co' };
    const first = await qbo.post('customer', body, { requestid: 'req-123' });
    const second = await qbo.post('customer', body, { requestid: 'req-123' });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const found = await qbo.query("select count(*) from Customer where DisplayName = 'Idempotent Co'");
    expect(found.body.QueryResponse.totalCount).toBe(1);
    // The same id in another company is another request.
    expect((await other.post('customer', body, { requestid: 'req-123' })).body.Customer.Id).toEqual(
      expect.any(String),
    );
    const tooLong = await qbo.post('customer', { DisplayName: 'Long Id' }, { requestid: 'x'.repeat(51) });
    expect(tooLong.status).toBe(400);
  });

  it('queries with WHERE, ORDERBY and paging, COUNT, POST application/text, and parse errors as 4000', async () => {
    for (const name of ['Query A', 'Query B', 'Query C']) await qbo.create('Customer', { DisplayName: name });
    const page = await qbo.query(
      "select * from Customer where DisplayName like 'Query%' orderby DisplayName desc startposition 2 maxresults 1",
    );
    expect(page.body.QueryResponse).toMatchObject({
      startPosition: 2,
      maxResults: 1,
      Customer: [{ DisplayName: 'Query B' }],
    });
    const posted = await qbo.post('query', "select count(*) from Customer where DisplayName like 'Query%'");
    expect(posted.status).toBe(200);
    expect(posted.body.QueryResponse).toEqual({ totalCount: 3 });
    const broken = await qbo.query('select * frm Customer');
    expect(broken.status).toBe(400);
    expect(broken.body.Fault).toMatchObject({
      type: 'ValidationFault',
      Error: [{ code: '4000', Message: 'Error parsing query' }],
    });
    const unknown = await qbo.query('select * from Spaceship');
    expect(unknown.body.Fault.Error[0].code).toMatch(/^400[01]$/);
  });

  it('runs a batch in order with one answer per item, failures as Faults, under HTTP 200', async () => {
    const existing = await qbo.create('Customer', { DisplayName: 'Batch Existing' });
    const answer = await qbo.post('batch', {
      BatchItemRequest: [
        { bId: 'a', operation: 'create', Customer: { DisplayName: 'Batch New' } },
        { bId: 'b', operation: 'create', Customer: { DisplayName: 'Batch Existing' } },
        {
          bId: 'c',
          operation: 'update',
          Customer: { Id: existing.Id, SyncToken: '0', sparse: true, Notes: 'n' },
        },
        { bId: 'd', Query: "select * from Customer where DisplayName = 'Batch New'" },
        {
          bId: 'e',
          operation: 'update',
          Customer: { Id: existing.Id, SyncToken: '0', sparse: true, Notes: 'stale' },
        },
      ],
    });
    expect(answer.status).toBe(200);
    const items = answer.body.BatchItemResponse as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(items.map((item) => item.bId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(items[0]?.Customer.DisplayName).toBe('Batch New');
    expect(items[1]?.Fault.Error[0].code).toBe('6240');
    expect(items[2]?.Customer).toMatchObject({ Notes: 'n', SyncToken: '1' });
    expect(items[3]?.QueryResponse.Customer[0].DisplayName).toBe('Batch New');
    expect(items[4]?.Fault.Error[0].code).toBe('5010');
    const tooMany = await qbo.post('batch', {
      BatchItemRequest: Array.from({ length: 31 }, (_, i) => ({
        bId: String(i),
        Query: 'select * from Customer',
      })),
    });
    expect(tooMany.status).toBe(400);
  });

  it('voids and deletes through batch', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Batch Voider' });
    const line = { Amount: 10, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} };
    const a = await qbo.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line] });
    const b = await qbo.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line] });
    const answer = await qbo.post('batch', {
      BatchItemRequest: [
        { bId: '1', operation: 'void', Invoice: { Id: a.Id, SyncToken: '0' } },
        { bId: '2', operation: 'delete', Invoice: { Id: b.Id, SyncToken: '0' } },
      ],
    });
    expect(answer.body.BatchItemResponse[0].Invoice).toMatchObject({ TotalAmt: 0, PrivateNote: 'Voided' });
    expect(answer.body.BatchItemResponse[1].Invoice).toMatchObject({ status: 'Deleted', Id: b.Id });
  });

  it('reports changes since a moment through CDC, deleted objects included, within 30 days', async () => {
    const since = new Date(emulator.clock.now()).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const customer = await qbo.create('Customer', { DisplayName: 'CDC Customer' });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [{ Amount: 5, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }],
    });
    await qbo.post('invoice', { Id: invoice.Id, SyncToken: '0' }, { operation: 'delete' });
    const answer = await qbo.get('cdc', { entities: 'Customer,Invoice,Payment', changedSince: since });
    expect(answer.status).toBe(200);
    const [customers, invoices, payments] = answer.body.CDCResponse[0].QueryResponse;
    expect(customers.Customer.map((c: { Id: string }) => c.Id)).toEqual([customer.Id]);
    expect(invoices.Invoice).toEqual([
      { domain: 'QBO', status: 'Deleted', Id: invoice.Id, MetaData: { LastUpdatedTime: expect.any(String) } },
    ]);
    expect(payments).toEqual({});

    const old = new Date(emulator.clock.now() - 31 * 86_400_000).toISOString();
    const tooOld = await qbo.get('cdc', { entities: 'Customer', changedSince: old });
    expect(tooOld.status).toBe(400);
    expect(tooOld.body.Fault.Error[0].Detail).toContain('older than fixed days is not supported');
  });

  it('forgets deleted objects once CDC can no longer reach them (30 days)', async () => {
    // Its own emulator: moving the clock a month on expires every token of the shared one.
    const own = await startQuickBooksEmulator({ port: 0, limits: false });
    try {
      const company = own.state.company(own.realmIds[0] ?? '');
      const deleteOne = async (name: string) => {
        const client = qboClient(own);
        const customer = await client.create('Customer', { DisplayName: name });
        const invoice = await client.create('Invoice', {
          CustomerRef: { value: customer.Id },
          Line: [{ Amount: 5, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }],
        });
        await client.post('invoice', { Id: invoice.Id, SyncToken: '0' }, { operation: 'delete' });
        return invoice.Id as string;
      };
      const early = await deleteOne('Deleted early');
      expect(company?.tombstones.map((t) => t.id)).toContain(early);
      own.clock.advance(31 * 86_400_000);
      const late = await deleteOne('Deleted late');
      const kept = company?.tombstones.map((t) => t.id) ?? [];
      expect(kept).toContain(late);
      expect(kept).not.toContain(early);
    } finally {
      await own.close();
    }
  });

  it('caps CDC at 1000 objects', async () => {
    const since = new Date(emulator.clock.now()).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const items = Array.from({ length: 1010 }, (_, i) => ({
      bId: String(i),
      operation: 'create',
      Item: { Name: `Bulk ${i}`, Type: 'Category' },
    }));
    for (let start = 0; start < items.length; start += 30) {
      const answer = await qbo.post('batch', { BatchItemRequest: items.slice(start, start + 30) });
      expect(answer.status).toBe(200);
    }
    const answer = await qbo.get('cdc', { entities: 'Item', changedSince: since });
    expect(answer.body.CDCResponse[0].QueryResponse[0].Item).toHaveLength(1000);
  });

  it('keeps a customer Balance of open invoices less unapplied payments', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Balance Keeper' });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [{ Amount: 100, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }],
    });
    await qbo.create('Payment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 70,
      Line: [{ Amount: 40, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    expect((await qbo.get(`customer/${customer.Id}`)).body.Customer.Balance).toBe(30);
  });
});
