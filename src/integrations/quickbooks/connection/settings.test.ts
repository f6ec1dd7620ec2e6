import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../../../test/api.js';
import { backends } from '../../../../test/databases.js';
import { DEFAULT_CONNECTION_SETTINGS, readConnectionSettings } from './connection-settings.js';
import { connectQuickBooks, type QboHarness, startQboHarness } from './test-harness.js';

const SETTINGS = '/api/v1/integrations/quickbooks/settings';

describe('readConnectionSettings', () => {
  it('applies every default, and falls back field by field on values that no longer parse', () => {
    expect(readConnectionSettings({ settings: {} })).toEqual(DEFAULT_CONNECTION_SETTINGS);
    expect(
      readConnectionSettings({
        settings: {
          invoices_push: false,
          invoice_scope: 'everything',
          deposit_account_id: '35',
          tax_code_map: { txr_1: 'TAX' },
        },
      }),
    ).toEqual({
      ...DEFAULT_CONNECTION_SETTINGS,
      invoices_push: false,
      deposit_account_id: '35',
      tax_code_map: { txr_1: 'TAX' },
    });
  });
});

describe.each(backends)('QuickBooks connection settings on $name', (backend) => {
  let h: QboHarness;
  let tenant: TestTenant;
  const accounts: Record<string, { id: string; name: string }[]> = {};
  beforeAll(async () => {
    h = await startQboHarness(backend);
    tenant = await h.api.tenant();
    const connected = await connectQuickBooks(tenant);
    if (connected.statusCode !== 201) throw new Error(connected.body);
    for (const type of ['Bank', 'Income', 'Expense']) {
      const answer = await tenant.request('GET', `/api/v1/integrations/quickbooks/accounts?type=${type}`);
      if (answer.statusCode !== 200) throw new Error(answer.body);
      accounts[type] = answer.json<{ data: { id: string; name: string }[] }>().data;
    }
  });
  afterAll(async () => {
    await h.close();
  });
  const first = (type: string) => {
    const account = accounts[type]?.[0];
    if (!account) throw new Error(`the company has no ${type} account`);
    return account.id;
  };
  const patch = (body: unknown) => tenant.request('PATCH', SETTINGS, body);
  const refusal = async (body: unknown) => {
    const answer = await patch(body);
    return {
      status: answer.statusCode,
      message: answer.json<{ error: { message: string } }>().error.message,
    };
  };

  it('lists accounts of the asked type, and tax codes', async () => {
    expect(accounts.Bank?.map((account) => account.name)).toContain('Checking');
    expect(accounts.Expense?.length).toBeGreaterThan(0);
    const answer = await tenant.request('GET', '/api/v1/integrations/quickbooks/accounts?type=Bank');
    for (const account of answer.json<{ data: { account_type: string }[] }>().data) {
      expect(account.account_type).toBe('Bank');
    }
    expect(
      (await tenant.request('GET', '/api/v1/integrations/quickbooks/accounts?type=Equity')).statusCode,
    ).toBe(400);
    const codes = await tenant.request('GET', '/api/v1/integrations/quickbooks/tax-codes');
    expect(codes.statusCode, codes.body).toBe(200);
    expect(codes.json<{ data: { id: string }[] }>().data.map((code) => code.id)).toContain('TAX');
  });

  it('answers the defaults until something is chosen', async () => {
    const answer = await tenant.request('GET', SETTINGS);
    expect(answer.json()).toEqual(DEFAULT_CONNECTION_SETTINGS);
  });

  it('refuses accounts that do not exist or are of the wrong type, naming the field', async () => {
    expect(await refusal({ deposit_account_id: '99999' })).toEqual({
      status: 400,
      message: expect.stringMatching(/^deposit_account_id: QuickBooks has no account 99999/),
    });
    expect(await refusal({ deposit_account_id: first('Expense') })).toEqual({
      status: 400,
      message: expect.stringMatching(/^deposit_account_id: .*of type Expense; it must be Bank/),
    });
    expect(await refusal({ fee_account_id: first('Bank') })).toMatchObject({
      message: expect.stringMatching(/^fee_account_id: .*must be Expense/),
    });
    expect(await refusal({ income_account_id: first('Expense') })).toMatchObject({
      message: expect.stringMatching(/^income_account_id: .*must be Income/),
    });
    expect(await refusal({ tax_code_map: { txr_1: '4242' } })).toMatchObject({
      message: expect.stringMatching(/^tax_code_map: .*4242/),
    });
    expect(await refusal({ create_deposits: 'yes' })).toMatchObject({ status: 400 });
    expect(await refusal({ unknown_setting: true })).toMatchObject({ status: 400 });
    expect((await tenant.request('GET', SETTINGS)).json()).toEqual(DEFAULT_CONNECTION_SETTINGS);
  });

  it('needs both deposit accounts before deposits are turned on', async () => {
    expect(await refusal({ create_deposits: true })).toEqual({
      status: 400,
      message: 'deposit_account_id: required while create_deposits is true',
    });
    expect(await refusal({ create_deposits: true, deposit_account_id: first('Bank') })).toEqual({
      status: 400,
      message: 'fee_account_id: required while create_deposits is true',
    });
  });

  it('stores valid choices and keeps what the patch does not name', async () => {
    const chosen = {
      create_deposits: true,
      deposit_account_id: first('Bank'),
      fee_account_id: first('Expense'),
      income_account_id: first('Income'),
      tax_code_map: { txr_standard: 'TAX' },
      invoice_scope: 'backfill',
    };
    const answer = await patch(chosen);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toEqual({ ...DEFAULT_CONNECTION_SETTINGS, ...chosen });
    expect((await patch({ invoices_pull: false })).json()).toEqual({
      ...DEFAULT_CONNECTION_SETTINGS,
      ...chosen,
      invoices_pull: false,
    });
    expect((await tenant.request('GET', '/api/v1/integrations/quickbooks')).json().settings).toMatchObject({
      create_deposits: true,
      invoices_pull: false,
    });
    // Deposits cannot lose an account while they are on.
    expect(await refusal({ fee_account_id: null })).toMatchObject({
      message: 'fee_account_id: required while create_deposits is true',
    });
  });

  it('lets viewers read the settings but not change them', async () => {
    const viewer = await tenant.keyFor('viewer');
    const as = (method: string, body?: unknown) =>
      h.api.app.inject({
        method: method as 'GET',
        url: SETTINGS,
        headers: { authorization: `Bearer ${viewer}` },
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
      });
    expect((await as('GET')).statusCode).toBe(200);
    expect((await as('PATCH', { invoices_push: false })).statusCode).toBe(403);
  });
});
