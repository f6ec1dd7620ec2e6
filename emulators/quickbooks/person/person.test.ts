import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuickBooksEmulator, type QuickBooksEmulator } from '../server.js';
import { qboClient, type Answer, type QboTestClient } from '../testing.js';

/*
 * The person's JSON actions, checked the way an integration would see them: through the emulator's
 * public REST API over real HTTP, with an API client's own token.
 */
let emulator: QuickBooksEmulator;
let realmId: string;
let qbo: QboTestClient;

type Json = Answer['body'];

const rest = (path: string, body?: unknown): Promise<Answer> =>
  body === undefined ? qbo.get(path) : qbo.post(path, body);

async function person(
  path: string,
  body?: unknown,
  realm = realmId,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${emulator.url}/_emulator/companies/${realm}/person/${path}`, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const readInvoice = async (id: string) => (await rest(`invoice/${id}`)).body['Invoice'] as Json;

let customerId: string;
let docCounter = 0;
async function newInvoice(amount: string, extra: Json = {}): Promise<Json> {
  docCounter += 1;
  const created = await person('invoices', {
    customerId,
    docNumber: `P-${docCounter}`,
    lines: [{ amount, description: 'Consulting' }],
    ...extra,
  });
  expect(created.status).toBe(200);
  return created.body['Invoice'] as Json;
}

beforeAll(async () => {
  emulator = await startQuickBooksEmulator({ port: 0, limits: false });
  realmId = emulator.realmIds[0] ?? '';
  qbo = qboClient(emulator, realmId);
  const created = await person('customers', { displayName: 'Globex Corporation', email: 'ap@globex.test' });
  expect(created.status).toBe(200);
  customerId = String(created.body['Customer'].Id);
});

afterAll(async () => {
  await emulator.close();
});

describe('a person in QuickBooks, through the admin JSON API', () => {
  it('creates a customer and an invoice that the REST API then serves', async () => {
    const customer = (await rest(`customer/${customerId}`)).body['Customer'] as Json;
    expect(customer['DisplayName']).toBe('Globex Corporation');
    expect(customer['PrimaryEmailAddr'].Address).toBe('ap@globex.test');

    const invoice = await newInvoice('120.50', { dueDate: '2026-12-31' });
    const read = await readInvoice(invoice['Id']);
    expect(read['DocNumber']).toBe(invoice['DocNumber']);
    expect(read['CustomerRef'].value).toBe(customerId);
    expect(read['TotalAmt']).toBe(120.5);
    expect(read['Balance']).toBe(120.5);
    expect(read['DueDate']).toBe('2026-12-31');
  });

  it('prices an item line from the item', async () => {
    const item = await rest('item', {
      Name: 'Lawn mowing',
      Type: 'Service',
      UnitPrice: 25,
      IncomeAccountRef: {
        value: (await qbo.query("SELECT * FROM Account WHERE Name = 'Services'")).body['QueryResponse']
          .Account[0].Id,
      },
    });
    expect(item.status).toBe(200);
    const created = await person('invoices', {
      customerId,
      lines: [{ itemId: item.body['Item'].Id, qty: '3' }],
    });
    expect(created.status).toBe(200);
    const read = await readInvoice(created.body['Invoice'].Id);
    expect(read['TotalAmt']).toBe(75);
    expect(read['Line'][0].SalesItemLineDetail.ItemRef.value).toBe(item.body['Item'].Id);
  });

  it('records a partial payment, then the rest, into the chosen account', async () => {
    const invoice = await newInvoice('100.00');
    const partial = await person(`invoices/${invoice['Id']}/payments`, {
      amount: '40.25',
      date: '2026-11-20',
    });
    expect(partial.status).toBe(200);
    expect(partial.body['Invoice'].Balance).toBe(59.75);
    const payment = (await rest(`payment/${partial.body['Payment'].Id}`)).body['Payment'] as Json;
    expect(payment['TotalAmt']).toBe(40.25);
    expect(payment['TxnDate']).toBe('2026-11-20');
    expect(payment['Line'][0].LinkedTxn[0]).toMatchObject({ TxnId: invoice['Id'], TxnType: 'Invoice' });
    expect((await readInvoice(invoice['Id']))['Balance']).toBe(59.75);

    const accounts = await qbo.query("SELECT * FROM Account WHERE Name = 'Checking'");
    const checking = String(accounts.body['QueryResponse'].Account[0].Id);
    const remainder = await person(`invoices/${invoice['Id']}/payments`, { depositToAccountId: checking });
    expect(remainder.status).toBe(200);
    expect(remainder.body['Payment'].TotalAmt).toBe(59.75);
    expect(remainder.body['Payment'].DepositToAccountRef.value).toBe(checking);
    expect((await readInvoice(invoice['Id']))['Balance']).toBe(0);

    const nothingLeft = await person(`invoices/${invoice['Id']}/payments`, {});
    expect(nothingLeft.status).toBe(400);
    expect(nothingLeft.body['error']).toMatch(/no open balance/);
  });

  it("edits an unpaid invoice's line, due date and lines even after an API client changed it", async () => {
    const invoice = await newInvoice('50.00');
    // Someone else saves first: the person's screen re-reads, so their SyncToken is the current one.
    const other = await rest('invoice', {
      Id: invoice['Id'],
      SyncToken: invoice['SyncToken'],
      sparse: true,
      PrivateNote: 'api',
    });
    expect(other.status).toBe(200);
    const lineId = String(invoice['Line'][0].Id);
    const edited = await person(`invoices/${invoice['Id']}/edit`, {
      dueDate: '2027-01-15',
      lines: [{ lineId, qty: '2', unitPrice: '30' }],
      addLines: [{ amount: '5.10', description: 'Travel' }],
    });
    expect(edited.status).toBe(200);
    const read = await readInvoice(invoice['Id']);
    expect(read['TotalAmt']).toBe(65.1);
    expect(read['Balance']).toBe(65.1);
    expect(read['DueDate']).toBe('2027-01-15');
    expect(read['PrivateNote']).toBe('api');
    expect(Number(read['SyncToken'])).toBe(Number(other.body['Invoice'].SyncToken) + 1);

    const unknownLine = await person(`invoices/${invoice['Id']}/edit`, {
      lines: [{ lineId: '999', qty: '1' }],
    });
    expect(unknownLine.status).toBe(400);
  });

  it('saves again when another save lands while the person is saving (error 5010), so the person wins', async () => {
    const invoice = await newInvoice('70.00');
    // Hold the person's save (the next invoice POST) until an API client's update has gone through.
    emulator.traffic.addFault({
      kind: 'latency',
      latencyMs: 3000,
      holdMs: 0,
      method: 'POST',
      entity: 'Invoice',
      realmId,
      count: 1,
    });
    const personSaving = person(`invoices/${invoice['Id']}/edit`, { dueDate: '2027-03-01' });
    while (emulator.traffic.listFaults().length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const other = await rest('invoice', {
      Id: invoice['Id'],
      SyncToken: invoice['SyncToken'],
      sparse: true,
      PrivateNote: 'meanwhile',
    });
    expect(other.status).toBe(200);

    expect((await personSaving).status).toBe(200);
    const read = await readInvoice(invoice['Id']);
    expect(read['DueDate']).toBe('2027-03-01');
    expect(read['PrivateNote']).toBe('meanwhile');
    expect(read['SyncToken']).toBe('2');
  });

  it("passes on QuickBooks' refusal when the amount of a paid invoice drops below what was paid", async () => {
    const invoice = await newInvoice('80.00');
    expect((await person(`invoices/${invoice['Id']}/payments`, {})).status).toBe(200);
    const edit = await person(`invoices/${invoice['Id']}/edit`, {
      lines: [{ lineId: String(invoice['Line'][0].Id), unitPrice: '10' }],
    });
    expect(edit.status).toBe(400);
    expect(edit.body['Fault'].Error[0]).toMatchObject({ code: '6000', element: 'Line' });
    const read = await readInvoice(invoice['Id']);
    expect(read['TotalAmt']).toBe(80);
    expect(read['Balance']).toBe(0);
  });

  it('publishes the change events an API client causes', async () => {
    const invoice = await newInvoice('20.00');
    const events: string[] = [];
    const stop = emulator.state.feed.subscribe((event) => {
      if (event.realmId === realmId) events.push(`${event.entity} ${event.operation}`);
    });
    try {
      await person(`invoices/${invoice['Id']}/payments`, { amount: '5' });
      await person(`invoices/${invoice['Id']}/void`);
    } finally {
      stop();
    }
    expect(events).toContain('Payment Create');
    expect(events).toContain('Invoice Void');
  });

  it('voids an invoice: it stays, with zero amounts and a Voided note', async () => {
    const invoice = await newInvoice('33.00');
    const voided = await person(`invoices/${invoice['Id']}/void`);
    expect(voided.status).toBe(200);
    const read = await readInvoice(invoice['Id']);
    expect(read['TotalAmt']).toBe(0);
    expect(read['Balance']).toBe(0);
    expect(String(read['PrivateNote'])).toMatch(/^Voided/);
  });

  it('deletes an invoice: reading it afterwards is Fault 610', async () => {
    const invoice = await newInvoice('12.00');
    const deleted = await person(`invoices/${invoice['Id']}/delete`);
    expect(deleted.status).toBe(200);
    expect(deleted.body['Invoice'].status).toBe('Deleted');
    const read = await rest(`invoice/${invoice['Id']}`);
    expect(read.status).toBe(400);
    expect(read.body['Fault'].Error[0].code).toBe('610');
    const again = await person(`invoices/${invoice['Id']}/delete`);
    expect(again.status).toBe(400);
    expect(again.body['Fault'].Error[0].code).toBe('610');
  });

  it('makes a customer inactive instead of deleting it', async () => {
    const created = await person('customers', { displayName: 'Initech' });
    const id = String(created.body['Customer'].Id);
    const deleted = await person(`customers/${id}/delete`);
    expect(deleted.status).toBe(200);
    expect(deleted.body['Customer'].Active).toBe(false);
    const read = await rest(`customer/${id}`);
    expect(read.status).toBe(200);
    expect(read.body['Customer'].Active).toBe(false);
  });

  it("answers QuickBooks' own Fault, and refuses what no person could submit", async () => {
    const duplicate = await person('customers', { displayName: 'Globex Corporation' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body['Fault'].Error[0].code).toBe('6240');

    expect((await person('customers', { email: 'x@example.test' })).status).toBe(400);
    expect((await person('invoices', { customerId, lines: [] })).status).toBe(400);
    expect((await person(`invoices/1/payments`, { amount: '1.001' })).status).toBe(400);
    const nowhere = await person('customers', { displayName: 'Nobody' }, '123');
    expect(nowhere.status).toBe(404);
  });
});
