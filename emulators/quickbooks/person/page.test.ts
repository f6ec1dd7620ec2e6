import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuickBooksEmulator, type QuickBooksEmulator } from '../server.js';
import { qboClient, type Answer, type QboTestClient } from '../testing.js';

/*
 * The person's HTML page, used as a browser would: read the page, post its forms (form-encoded, no
 * redirect following), follow the redirect, and check QuickBooks' state through the REST API.
 */
let emulator: QuickBooksEmulator;
let realmId: string;
let qbo: QboTestClient;

type Json = Answer['body'];

const rest = (path: string): Promise<Answer> => qbo.get(path);

async function page(path = `/app/${realmId}`): Promise<{ status: number; html: string; headers: Headers }> {
  const response = await fetch(`${emulator.url}${path}`);
  return { status: response.status, html: await response.text(), headers: response.headers };
}

/** Posts a form the page rendered (found by the end of its action) and returns where it redirects. */
async function submit(html: string, actionEnd: string, fields: Record<string, string>): Promise<URL> {
  const actions = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => match[1] ?? '');
  const action = actions.find((candidate) => candidate.endsWith(actionEnd));
  expect(action, `a form posting to …${actionEnd}`).toBeDefined();
  const response = await fetch(`${emulator.url}${action ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  expect(response.status).toBe(303);
  return new URL(response.headers.get('location') ?? '', emulator.url);
}

async function queryOne(statement: string, entity: string): Promise<Json> {
  const found = await qbo.query(statement);
  const first = (found.body['QueryResponse'][entity] as Json[] | undefined)?.[0];
  expect(first, statement).toBeDefined();
  return first ?? {};
}

beforeAll(async () => {
  emulator = await startQuickBooksEmulator({ port: 0, limits: false });
  realmId = emulator.realmIds[0] ?? '';
  qbo = qboClient(emulator, realmId);
});

afterAll(async () => {
  await emulator.close();
});

describe('the person page', () => {
  it('lists the companies', async () => {
    const { status, html } = await page('/app');
    expect(status).toBe(200);
    expect(html).toContain(`href="/app/${realmId}"`);
    expect(html).toContain(emulator.state.list()[0]?.companyName ?? '?');
    expect((await page('/app/0000')).status).toBe(404);
  });

  it('creates a customer and an invoice from its forms, then lists them', async () => {
    const start = await page();
    expect(start.status).toBe(200);
    expect(start.headers.get('content-security-policy')).toContain("default-src 'none'");

    const afterCustomer = await submit(start.html, '/customers', {
      displayName: 'Hooli',
      email: 'ap@hooli.test',
    });
    expect(afterCustomer.pathname).toBe(`/app/${realmId}`);
    expect(afterCustomer.searchParams.get('notice')).toBe('Created customer Hooli');
    const customer = await queryOne("SELECT * FROM Customer WHERE DisplayName = 'Hooli'", 'Customer');
    expect(customer['PrimaryEmailAddr'].Address).toBe('ap@hooli.test');

    const withCustomer = await page();
    expect(withCustomer.html).toContain(`<option value="${customer['Id']}">Hooli</option>`);
    await submit(withCustomer.html, '/invoices', {
      customerId: String(customer['Id']),
      itemId: '',
      qty: '',
      amount: '250.00',
      description: 'Design work',
      docNumber: 'WEB-1',
      dueDate: '2026-12-15',
    });
    const invoice = await queryOne("SELECT * FROM Invoice WHERE DocNumber = 'WEB-1'", 'Invoice');
    expect(invoice).toMatchObject({ TotalAmt: 250, Balance: 250, DueDate: '2026-12-15' });

    const listed = await page();
    expect(listed.html).toMatch(
      /<td>WEB-1<\/td><td>Hooli<\/td><td class="n">250\.00<\/td><td class="n">250\.00<\/td><td>2026-12-15<\/td><td>Open<\/td>/,
    );
  });

  it('receives a partial payment, refuses an edit below it, and deletes from its forms', async () => {
    const invoice = await queryOne("SELECT * FROM Invoice WHERE DocNumber = 'WEB-1'", 'Invoice');
    const invoicePath = `/invoices/${String(invoice['Id'])}`;
    const before = (await page()).html;
    const checking = /<option value="(\d+)">Checking<\/option>/.exec(before)?.[1];
    expect(checking).toBeDefined();
    const paid = await submit(before, `${invoicePath}/payments`, {
      amount: '100',
      date: '2026-11-21',
      depositToAccountId: checking ?? '',
    });
    expect(paid.searchParams.get('error')).toBeNull();
    expect((await rest(`invoice/${String(invoice['Id'])}`)).body['Invoice'].Balance).toBe(150);
    const payment = await queryOne("SELECT * FROM Payment WHERE TxnDate = '2026-11-21'", 'Payment');
    expect(payment).toMatchObject({ TotalAmt: 100, DepositToAccountRef: { value: checking } });
    const shown = await page(`${paid.pathname}${paid.search}`);
    expect(shown.html).toContain('role="status">Recorded a payment of 100.00 on invoice WEB-1</p>');
    expect(shown.html).toContain('<td>Partially paid</td>');

    const refused = await submit(shown.html, `${invoicePath}/edit`, {
      lineId: String(invoice['Line'][0].Id),
      qty: '',
      unitPrice: '50',
      dueDate: '',
    });
    expect(refused.searchParams.get('error')).toBe('1');
    expect(refused.searchParams.get('notice')).toMatch(/^QuickBooks refused: 6000 /);
    const alert = await page(`${refused.pathname}${refused.search}`);
    expect(alert.html).toContain('class="notice error" role="alert">QuickBooks refused: 6000');
    expect((await rest(`invoice/${String(invoice['Id'])}`)).body['Invoice'].TotalAmt).toBe(250);

    await submit(alert.html, `${invoicePath}/edit`, {
      lineId: '',
      qty: '',
      unitPrice: '',
      dueDate: '2027-02-01',
    });
    expect((await rest(`invoice/${String(invoice['Id'])}`)).body['Invoice'].DueDate).toBe('2027-02-01');

    const incomplete = await submit(alert.html, `${invoicePath}/edit`, { lineId: '', dueDate: '' });
    expect(incomplete.searchParams.get('error')).toBe('1');

    await submit((await page()).html, `${invoicePath}/delete`, {});
    const gone = await rest(`invoice/${String(invoice['Id'])}`);
    expect(gone.body['Fault'].Error[0].code).toBe('610');
    expect((await page()).html).not.toContain('<td>WEB-1</td>');
  });

  it('renders names inert and makes a customer inactive', async () => {
    const start = await page();
    const hostile = '<script>alert("x")</script>';
    await submit(start.html, '/customers', { displayName: hostile, email: '' });
    const customer = await queryOne(`SELECT * FROM Customer WHERE DisplayName = '${hostile}'`, 'Customer');

    const listed = await page();
    expect(listed.html).not.toContain('<script>');
    expect(listed.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    const reflected = await page(
      `/app/${realmId}?notice=${encodeURIComponent('<img src=x onerror=alert(1)>')}`,
    );
    expect(reflected.html).not.toContain('<img');

    const done = await submit(listed.html, `/customers/${String(customer['Id'])}/delete`, {});
    expect(done.searchParams.get('notice')).toBe(`Made customer ${String(customer['Id'])} inactive`);
    expect((await rest(`customer/${String(customer['Id'])}`)).body['Customer'].Active).toBe(false);
    expect((await page()).html).toMatch(
      /&lt;\/script&gt;<\/td><td><\/td><td class="n">[\d.]*<\/td><td>Inactive<\/td>/,
    );
  });
});
