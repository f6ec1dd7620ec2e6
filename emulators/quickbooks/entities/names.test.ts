import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuickBooksEmulator, type QuickBooksEmulator } from '../server.js';
import { qboClient, type QboTestClient } from '../testing.js';

/** Name lists and the generic update rules, over HTTP as an integration sees them. */
describe('QuickBooks emulator: customers, items, accounts, updates', () => {
  let emulator: QuickBooksEmulator;
  let qbo: QboTestClient;
  beforeAll(async () => {
    emulator = await startQuickBooksEmulator({ limits: false });
    qbo = qboClient(emulator);
  });
  afterAll(() => emulator.close());

  it('creates a customer with Id, SyncToken "0" and MetaData, and reads it back', async () => {
    const created = await qbo.create('Customer', {
      DisplayName: 'Amy Lin',
      PrimaryEmailAddr: { Address: 'amy@example.com' },
    });
    expect(created).toMatchObject({
      Id: expect.stringMatching(/^\d+$/),
      SyncToken: '0',
      DisplayName: 'Amy Lin',
      Active: true,
      Balance: 0,
      CurrencyRef: { value: 'USD' },
    });
    expect(created.MetaData.CreateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$/);
    const read = await qbo.get(`customer/${created.Id}`);
    expect(read.status).toBe(200);
    expect(read.body.Customer).toEqual(created);
    expect(read.body.time).toEqual(expect.any(String));
  });

  it('refuses a second customer with the same DisplayName (6240), case-insensitively, inactive ones included', async () => {
    const first = await qbo.create('Customer', { DisplayName: 'Duplicate Co' });
    const again = await qbo.post('customer', { DisplayName: 'duplicate co' });
    expect(again.status).toBe(400);
    expect(again.body.Fault).toMatchObject({
      type: 'ValidationFault',
      Error: [{ code: '6240', Message: 'Duplicate Name Exists Error' }],
    });
    await qbo.post('customer', { Id: first.Id, SyncToken: first.SyncToken, sparse: true, Active: false });
    expect((await qbo.post('customer', { DisplayName: 'Duplicate Co' })).body.Fault.Error[0].code).toBe(
      '6240',
    );
  });

  it('derives DisplayName from the person’s names and requires one', async () => {
    const created = await qbo.create('Customer', { GivenName: 'Rita', FamilyName: 'Moreno' });
    expect(created.DisplayName).toBe('Rita Moreno');
    const missing = await qbo.post('customer', { Notes: 'no name at all' });
    expect(missing.body.Fault.Error[0]).toMatchObject({ code: '2020', element: 'DisplayName' });
  });

  it('deactivates rather than deletes a customer', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Gone Soon' });
    const deleted = await qbo.post('customer', { Id: customer.Id, SyncToken: '0' }, { operation: 'delete' });
    expect(deleted.status).toBe(400);
    const inactive = await qbo.post('customer', {
      Id: customer.Id,
      SyncToken: '0',
      sparse: true,
      Active: false,
    });
    expect(inactive.body.Customer).toMatchObject({ Active: false, SyncToken: '1', DisplayName: 'Gone Soon' });
    const listed = await qbo.query("select * from Customer where DisplayName = 'Gone Soon'");
    expect(listed.body.QueryResponse).toEqual({});
  });

  it('refuses to make a customer with an open balance inactive (6220), and allows it once paid', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Still Owes' });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [{ Amount: 40, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }],
    });
    const owing = (await qbo.get(`customer/${customer.Id}`)).body.Customer;
    expect(owing.Balance).toBe(40);
    const refused = await qbo.post('customer', {
      Id: customer.Id,
      SyncToken: owing.SyncToken,
      sparse: true,
      Active: false,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.Fault).toMatchObject({
      type: 'ValidationFault',
      Error: [{ code: '6220', Message: 'Delete List Has Balance Error' }],
    });
    expect((await qbo.get(`customer/${customer.Id}`)).body.Customer).toMatchObject({
      Active: true,
      SyncToken: owing.SyncToken,
    });
    // A full update that leaves Active out keeps it active, and is not refused.
    const renamed = await qbo.post('customer', {
      Id: customer.Id,
      SyncToken: owing.SyncToken,
      DisplayName: 'Still Owes Ltd',
    });
    expect(renamed.body.Customer).toMatchObject({ Active: true, Balance: 40 });
    await qbo.create('Payment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 40,
      Line: [{ Amount: 40, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    const paid = (await qbo.get(`customer/${customer.Id}`)).body.Customer;
    expect(paid.Balance).toBe(0);
    const inactive = await qbo.post('customer', {
      Id: customer.Id,
      SyncToken: paid.SyncToken,
      sparse: true,
      Active: false,
    });
    expect(inactive.body.Customer).toMatchObject({ Active: false });
  });

  it('applies a sparse update to the fields sent only, and a full update clears the others', async () => {
    const customer = await qbo.create('Customer', {
      DisplayName: 'Sparse Ltd',
      CompanyName: 'Sparse Limited',
      Notes: 'keep me',
    });
    const sparse = await qbo.post('customer', {
      Id: customer.Id,
      SyncToken: '0',
      sparse: true,
      Notes: 'changed',
    });
    expect(sparse.body.Customer).toMatchObject({
      SyncToken: '1',
      Notes: 'changed',
      CompanyName: 'Sparse Limited',
    });
    const full = await qbo.post('customer', { Id: customer.Id, SyncToken: '1', DisplayName: 'Sparse Ltd' });
    expect(full.body.Customer.SyncToken).toBe('2');
    expect(full.body.Customer.CompanyName).toBeUndefined();
    expect(full.body.Customer.Notes).toBeUndefined();
    expect(full.body.Customer.MetaData.CreateTime).toBe(customer.MetaData.CreateTime);
  });

  it('answers a stale SyncToken with 5010 and changes nothing', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Stale Inc' });
    await qbo.post('customer', { Id: customer.Id, SyncToken: '0', sparse: true, Notes: 'first' });
    const stale = await qbo.post('customer', {
      Id: customer.Id,
      SyncToken: '0',
      sparse: true,
      Notes: 'second',
    });
    expect(stale.status).toBe(400);
    expect(stale.body.Fault.Error[0]).toMatchObject({ code: '5010', Message: 'Stale Object Error' });
    expect((await qbo.get(`customer/${customer.Id}`)).body.Customer.Notes).toBe('first');
  });

  it('answers 610 Object Not Found for an unknown Id, on read and on update', async () => {
    const read = await qbo.get('customer/999999');
    expect(read.status).toBe(400);
    expect(read.body.Fault.Error[0]).toMatchObject({ code: '610', Message: 'Object Not Found' });
    const update = await qbo.post('customer', { Id: '999999', SyncToken: '0', DisplayName: 'Nobody' });
    expect(update.body.Fault.Error[0].code).toBe('610');
  });

  it('rejects fields QuickBooks does not know with 2010, nested ones too', async () => {
    const top = await qbo.post('customer', { DisplayName: 'Field Test', Nickname: 'FT' });
    expect(top.status).toBe(400);
    expect(top.body.Fault.Error[0]).toMatchObject({
      code: '2010',
      Message: 'Request has invalid or unsupported property',
    });
    expect(top.body.Fault.Error[0].Detail).toContain('Nickname');
    const nested = await qbo.post('customer', {
      DisplayName: 'Field Test',
      PrimaryEmailAddr: { Email: 'x@y.z' },
    });
    expect(nested.body.Fault.Error[0].Detail).toContain('Email');
    const malformed = await qbo.post('customer', '{"DisplayName": ');
    expect(malformed.body.Fault.Error[0].code).toBe('2010');
  });

  it('requires an income account for a Service item and unique item names', async () => {
    const noAccount = await qbo.post('item', { Name: 'Consulting', Type: 'Service' });
    expect(noAccount.body.Fault.Error[0]).toMatchObject({ code: '2020', element: 'IncomeAccountRef' });
    const income = (await qbo.query("select * from Account where AccountType = 'Income'")).body.QueryResponse
      .Account[0];
    const item = await qbo.create('Item', {
      Name: 'Consulting',
      Type: 'Service',
      IncomeAccountRef: { value: income.Id },
    });
    expect(item).toMatchObject({
      Name: 'Consulting',
      Type: 'Service',
      IncomeAccountRef: { value: income.Id, name: income.Name },
    });
    const dup = await qbo.post('item', {
      Name: 'CONSULTING',
      Type: 'Service',
      IncomeAccountRef: { value: income.Id },
    });
    expect(dup.body.Fault.Error[0].code).toBe('6240');
    const badRef = await qbo.post('item', {
      Name: 'Other',
      Type: 'Service',
      IncomeAccountRef: { value: '424242' },
    });
    expect(badRef.body.Fault.Error[0].code).toBe('2500');
  });

  it('seeds the chart of accounts a sandbox has, and accounts follow the same name rule', async () => {
    const accounts = (await qbo.query('select * from Account maxresults 100')).body.QueryResponse.Account as {
      Name: string;
      AccountType: string;
    }[];
    const byName = new Map(accounts.map((account) => [account.Name, account.AccountType]));
    expect(byName.get('Checking')).toBe('Bank');
    expect(byName.get('Undeposited Funds')).toBe('Other Current Asset');
    expect(byName.get('Services')).toBe('Income');
    expect(byName.get('Sales of Product Income')).toBe('Income');
    expect(byName.get('Bank Charges')).toBe('Expense');
    expect(byName.get('Discounts given')).toBe('Income');
    const created = await qbo.create('Account', { Name: 'Stripe Clearing', AccountType: 'Bank' });
    expect(created).toMatchObject({ Classification: 'Asset', CurrentBalance: 0 });
    expect(
      (await qbo.post('account', { Name: 'Checking', AccountType: 'Bank' })).body.Fault.Error[0].code,
    ).toBe('6240');
  });

  it('serves Preferences, CompanyInfo, TaxCode and TaxRate', async () => {
    const prefs = await qbo.get('preferences');
    expect(prefs.body.Preferences.CurrencyPrefs).toMatchObject({
      MultiCurrencyEnabled: false,
      HomeCurrency: { value: 'USD' },
    });
    const info = await qbo.get(`companyinfo/${qbo.realmId}`);
    expect(info.body.CompanyInfo.CompanyName).toBe('Sandbox Company US 1');
    const codes = (await qbo.query('select * from TaxCode')).body.QueryResponse.TaxCode as { Id: string }[];
    expect(codes.map((code) => code.Id)).toEqual(expect.arrayContaining(['TAX', 'NON']));
    const rates = (await qbo.query('select * from TaxRate')).body.QueryResponse.TaxRate as {
      RateValue: number;
    }[];
    expect(rates[0]?.RateValue).toBe(8.5);
    const renamed = await qbo.post('companyinfo', {
      ...info.body.CompanyInfo,
      sparse: true,
      CompanyName: 'Renamed Co',
    });
    expect(renamed.body.CompanyInfo).toMatchObject({ CompanyName: 'Renamed Co', SyncToken: '1' });
  });
});
