import { eventually } from './wait.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import type { FirstRunCredentials } from '../src/runtime/first-run.js';
import { runProcess } from '../src/runtime/process.js';
import { parseForm, submitForm } from './stripe-browser.js';

interface InvoiceJson {
  id: string;
  status: string;
  total: number;
  payment_link_url: string | null;
}
type Qbo = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * `npm start` with no credentials (the sandbox exists only on the embedded database, so PGlite only):
 * the real process function, emulators in-process, the demo tenant seeded through the API and
 * connected through both OAuth consent pages, then the README's walkthrough, then a restart.
 */
describe('the sandbox that `ledgerbridge start` runs without credentials', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lb-sandbox-'));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', WORKER_CONCURRENCY: '4' });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const readSandboxFile = () =>
    JSON.parse(readFileSync(join(dataDir, 'sandbox.json'), 'utf8')) as Required<FirstRunCredentials>;
  const start = async () => {
    const banner = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const running = await runProcess(config, createLogger('silent'), { api: true, worker: true });
      const printed = banner.mock.calls.map((args) => String(args[0])).join('');
      return { running, printed };
    } finally {
      banner.mockRestore();
    }
  };
  let firstKey = '';
  let firstPaidInvoice = '';

  it('seeds and connects the demo tenant, and the README walkthrough gets an invoice paid', async () => {
    const { running, printed } = await start();
    try {
      const sandbox = readSandboxFile();
      firstKey = sandbox.api_key;
      expect(printed).toContain(sandbox.owner_password);
      expect(printed).toContain(sandbox.stripe_emulator_url);
      firstPaidInvoice = await demoAndWalkthrough(sandbox, running.url);
    } finally {
      await running.stop();
    }
  }, 120_000);

  it('continues the same sandbox on the next start: its key, its paid invoice in both emulators, its links', async () => {
    const { running, printed } = await start();
    try {
      expect(readdirSync(dataDir).filter((name) => name.startsWith('previous-sandbox-'))).toEqual([]);
      const sandbox = readSandboxFile();
      expect(sandbox.api_key).toBe(firstKey);
      expect(printed).toContain(firstKey);
      expect(sandbox.dashboard_url).toBe(running.url);
      const call = caller(sandbox);
      expect(await call('GET', '/integrations/stripe')).toMatchObject({ status: 'connected' });
      expect(await call('GET', '/integrations/quickbooks')).toMatchObject({ status: 'connected' });
      // What the first run did is still there, in ledgerbridge and in both emulated services.
      const invoice = await call<InvoiceJson & { number: number }>('GET', `/invoices/${firstPaidInvoice}`);
      expect(invoice.status).toBe('paid');
      const page = await fetch(invoice.payment_link_url ?? '');
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Paid');
      const realmId = (await call<{ realm_id: string }>('GET', '/integrations/quickbooks')).realm_id;
      const [replica] = await qboInvoices(sandbox.quickbooks_emulator_url, realmId, invoice.number);
      expect(replica).toMatchObject({ Balance: 0, TotalAmt: invoice.total / 100 });
      // And the walkthrough works again on the next opportunity.
      await walkthrough(sandbox, call);
    } finally {
      await running.stop();
    }
  }, 120_000);

  it('begins a new sandbox, the earlier one set aside, when the emulators’ state is gone', async () => {
    rmSync(join(dataDir, 'sandbox-emulators'), { recursive: true, force: true });
    const { running } = await start();
    try {
      const aside = readdirSync(dataDir).filter((name) => name.startsWith('previous-sandbox-'));
      expect(aside).toHaveLength(1);
      const earlier = JSON.parse(readFileSync(join(dataDir, aside[0] ?? '', 'sandbox.json'), 'utf8'));
      expect(earlier.api_key).toBe(firstKey);
      const sandbox = readSandboxFile();
      expect(sandbox.api_key).not.toBe(firstKey);
      await demoAndWalkthrough(sandbox, running.url);
    } finally {
      await running.stop();
    }
  }, 120_000);
});

function caller(sandbox: Required<FirstRunCredentials>) {
  return async <T = Qbo>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${sandbox.dashboard_url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${sandbox.api_key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return JSON.parse(text) as T;
  };
}

async function demoAndWalkthrough(
  sandbox: Required<FirstRunCredentials>,
  url: string | undefined,
): Promise<string> {
  expect(sandbox.dashboard_url).toBe(url);
  expect(sandbox.stripe_emulator_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(sandbox.quickbooks_emulator_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(sandbox.owner_email).toBe('owner@demo.ledgerbridge.test');
  const call = caller(sandbox);

  // Both connections made through the OAuth flows, and the demo data in place.
  expect(await call('GET', '/integrations/stripe')).toMatchObject({ status: 'connected' });
  expect(await call('GET', '/integrations/quickbooks')).toMatchObject({ status: 'connected' });
  expect((await call('GET', '/services')).data).toHaveLength(3);
  expect((await call('GET', '/opportunities')).data).toHaveLength(3);
  const contacts = (await call<{ data: { email: string }[] }>('GET', '/contacts?limit=100')).data;
  expect(contacts.map((c) => c.email)).toEqual(
    expect.arrayContaining(['ap@globex.example', 'billing@initech.example', 'accounts@umbrella.example']),
  );
  const workflows = (await call<{ data: { origin: string }[] }>('GET', '/workflows')).data;
  expect(workflows.map((w) => w.origin)).toContain('default');
  const invoices = (await call<{ data: InvoiceJson[] }>('GET', '/invoices')).data;
  expect(invoices).toHaveLength(1);
  expect(invoices[0]?.status).toBe('open');
  await eventually(
    'the sent invoice’s payment link',
    async () =>
      (await call<InvoiceJson>('GET', `/invoices/${invoices[0]?.id}`)).payment_link_url ?? undefined,
  );

  expect((await call<{ data: unknown[] }>('GET', '/billables?status=unbilled')).data).toHaveLength(4);
  return walkthrough(sandbox, call);
}

/** The README: an invoice from the unbilled billables of one opportunity, sent, paid by card. */
async function walkthrough(
  sandbox: Required<FirstRunCredentials>,
  call: ReturnType<typeof caller>,
): Promise<string> {
  const unbilled = (
    await call<{ data: { id: string; parent_id: string }[] }>('GET', '/billables?status=unbilled')
  ).data;
  const opportunity = unbilled[0]?.parent_id;
  const ids = (
    await call<{ data: { id: string }[] }>('GET', `/opportunities/${opportunity}/billables?status=unbilled`)
  ).data.map((b) => b.id);
  expect(ids).toHaveLength(2);
  const draft = await call<InvoiceJson>('POST', '/invoices/from-billables', { billable_ids: ids });
  await call('POST', `/invoices/${draft.id}/send`, {});
  const link = await eventually(
    'the payment link',
    async () => (await call<InvoiceJson>('GET', `/invoices/${draft.id}`)).payment_link_url ?? undefined,
  );
  expect(link.startsWith(sandbox.stripe_emulator_url)).toBe(true);

  // Paid with the test card on the emulated Stripe's hosted page.
  const form = parseForm(await (await fetch(link)).text(), link);
  const paid = await submitForm(form.action, {
    ...form.fields,
    name: 'Ada Lovelace',
    number: '4242 4242 4242 4242',
    exp: '12 / 34',
    cvc: '123',
  });
  expect(paid.status).toBe(200);
  await eventually('the invoice paid', async () =>
    (await call<InvoiceJson>('GET', `/invoices/${draft.id}`)).status === 'paid' ? true : undefined,
  );
  await eventually('“Payment received” on the timeline', async () => {
    const entries = (await call<{ data: { message: string }[] }>('GET', `/invoices/${draft.id}/timeline`))
      .data;
    return entries.some((e) => e.message.startsWith('Payment received')) ? true : undefined;
  });

  // And the emulated QuickBooks company has it paid, read as the README reads it.
  const realmId = (await call<{ realm_id: string }>('GET', '/integrations/quickbooks')).realm_id;
  const { number } = await call<{ number: number }>('GET', `/invoices/${draft.id}`);
  await eventually('the QuickBooks balance at zero', async () => {
    const [replica] = await qboInvoices(sandbox.quickbooks_emulator_url, realmId, number);
    return replica?.Balance === 0 && replica.TotalAmt === draft.total / 100 ? true : undefined;
  });
  return draft.id;
}

/** The README's two curl commands: an access token from the emulator, then a QuickBooks query. */
async function qboInvoices(emulatorUrl: string, realmId: string, number: number): Promise<Qbo[]> {
  const minted = await fetch(`${emulatorUrl}/_emulator/companies/${realmId}/token`, { method: 'POST' });
  const { access_token: token } = (await minted.json()) as { access_token: string };
  const query = encodeURIComponent(`SELECT * FROM Invoice WHERE DocNumber = '${number}'`);
  const answer = await fetch(`${emulatorUrl}/v3/company/${realmId}/query?query=${query}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  const body = (await answer.json()) as Qbo;
  return (body.QueryResponse?.Invoice ?? []) as Qbo[];
}
