import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuickBooksEmulator, type QuickBooksEmulator } from '../server.js';
import { qboClient, type QboTestClient } from '../testing.js';

/** Invoices and the other sales forms: line arithmetic, tax, DocNumber, void and delete. */
describe('QuickBooks emulator: invoices and sales forms', () => {
  let emulator: QuickBooksEmulator;
  let qbo: QboTestClient;
  let customerId: string;
  const line = (amount: number, qty?: number, unitPrice?: number, taxCode = 'NON') => ({
    Amount: amount,
    DetailType: 'SalesItemLineDetail',
    SalesItemLineDetail: {
      ...(qty === undefined ? {} : { Qty: qty }),
      ...(unitPrice === undefined ? {} : { UnitPrice: unitPrice }),
      TaxCodeRef: { value: taxCode },
    },
  });
  beforeAll(async () => {
    emulator = await startQuickBooksEmulator({ limits: false });
    qbo = qboClient(emulator);
    customerId = (await qbo.create('Customer', { DisplayName: 'Invoice Customer' })).Id as string;
  });
  afterAll(() => emulator.close());

  const invoice = (fields: Record<string, unknown>) =>
    qbo.post('invoice', { CustomerRef: { value: customerId }, ...fields });

  it('computes SubTotal, TotalAmt and Balance, and names the references', async () => {
    const created = await invoice({ Line: [line(100, 2, 50), line(12.5, 0.5, 25)] });
    expect(created.status).toBe(200);
    const body = created.body.Invoice;
    expect(body).toMatchObject({
      TotalAmt: 112.5,
      Balance: 112.5,
      CustomerRef: { value: customerId, name: 'Invoice Customer' },
    });
    expect(body.DocNumber).toMatch(/^\d+$/);
    expect(body.Line.at(-1)).toEqual({
      Amount: 112.5,
      DetailType: 'SubTotalLineDetail',
      SubTotalLineDetail: {},
    });
    expect(body.Line[0].SalesItemLineDetail.ItemRef).toEqual({ value: expect.any(String), name: 'Services' });
  });

  it('refuses a line whose Amount is not Qty × UnitPrice (6070)', async () => {
    const answer = await invoice({ Line: [line(100, 3, 50)] });
    expect(answer.status).toBe(400);
    expect(answer.body.Fault.Error[0].code).toBe('6070');
  });

  it('applies a percent discount and an amount discount to the subtotal', async () => {
    const percent = await invoice({
      Line: [
        line(200),
        {
          Amount: 0,
          DetailType: 'DiscountLineDetail',
          DiscountLineDetail: { PercentBased: true, DiscountPercent: 10 },
        },
      ],
    });
    expect(percent.body.Invoice.TotalAmt).toBe(180);
    const discountLine = percent.body.Invoice.Line.find(
      (l: { DetailType: string }) => l.DetailType === 'DiscountLineDetail',
    );
    expect(discountLine).toMatchObject({
      Amount: 20,
      DiscountLineDetail: { PercentBased: true, DiscountAccountRef: { name: 'Discounts given' } },
    });
    const amount = await invoice({
      Line: [
        line(200),
        { Amount: 15.25, DetailType: 'DiscountLineDetail', DiscountLineDetail: { PercentBased: false } },
      ],
    });
    expect(amount.body.Invoice.TotalAmt).toBe(184.75);
  });

  it('computes sales tax from the tax code’s rate on taxable lines, half-up to the cent', async () => {
    // 8.5 % of 10.10 = 0.8585 → 0.86
    const answer = await invoice({ Line: [line(10.1, 1, 10.1, 'TAX'), line(5)] });
    expect(answer.body.Invoice.TxnTaxDetail).toMatchObject({
      TotalTax: 0.86,
      TaxLine: [{ Amount: 0.86, TaxLineDetail: { TaxPercent: 8.5, NetAmountTaxable: 10.1 } }],
    });
    expect(answer.body.Invoice.TotalAmt).toBe(15.96);
  });

  it('uses TxnTaxDetail.TotalTax when the request gives it, and keeps it through a sparse update', async () => {
    const answer = await invoice({ Line: [line(100, 1, 100, 'TAX')], TxnTaxDetail: { TotalTax: 9.99 } });
    expect(answer.body.Invoice).toMatchObject({ TotalAmt: 109.99, TxnTaxDetail: { TotalTax: 9.99 } });
    const updated = await qbo.post('invoice', {
      Id: answer.body.Invoice.Id,
      SyncToken: '0',
      sparse: true,
      PrivateNote: 'memo',
    });
    expect(updated.body.Invoice.TotalAmt).toBe(109.99);
  });

  it('recomputes tax when a sparse update replaces the lines', async () => {
    const created = (await invoice({ Line: [line(100, 1, 100, 'TAX')] })).body.Invoice;
    expect(created.TotalAmt).toBe(108.5);
    const updated = await qbo.post('invoice', {
      Id: created.Id,
      SyncToken: '0',
      sparse: true,
      Line: [line(200, 1, 200, 'TAX')],
    });
    expect(updated.body.Invoice).toMatchObject({ TotalAmt: 217, Balance: 217, SyncToken: '1' });
    expect(updated.body.Invoice.Line).toHaveLength(2);
  });

  it('adds a tax code through the tax service and taxes with its rate', async () => {
    const created = await qbo.post('taxservice/taxcode', {
      TaxCode: 'Quebec QST',
      TaxRateDetails: [
        { TaxRateName: 'QST', RateValue: '9.975', TaxAgencyId: '1', TaxApplicableOn: 'Sales' },
      ],
    });
    expect(created.status).toBe(200);
    const { TaxCodeId, TaxRateDetails } = created.body.TaxService;
    expect(TaxRateDetails[0]).toMatchObject({ TaxRateName: 'QST', RateValue: 9.975 });
    // 9.975 % of 4495.16 = 448.3922… → 448.39
    const answer = await invoice({
      Line: [line(4495.16, 1, 4495.16, 'TAX')],
      TxnTaxDetail: { TxnTaxCodeRef: { value: TaxCodeId } },
    });
    expect(answer.body.Invoice.TxnTaxDetail).toMatchObject({
      TxnTaxCodeRef: { value: TaxCodeId },
      TotalTax: 448.39,
    });
    const again = await qbo.post('taxservice/taxcode', {
      TaxCode: 'quebec qst',
      TaxRateDetails: [{ TaxRateId: TaxRateDetails[0].TaxRateId }],
    });
    expect(again.body.Fault.Error[0].code).toBe('6240');
  });

  it('keeps DocNumber unique (6140) unless include=allowduplicatedocnum, and at most 21 characters', async () => {
    expect((await invoice({ DocNumber: 'INV-42', Line: [line(1)] })).status).toBe(200);
    const duplicate = await invoice({ DocNumber: 'INV-42', Line: [line(1)] });
    expect(duplicate.body.Fault.Error[0]).toMatchObject({ code: '6140', element: 'DocNumber' });
    const allowed = await qbo.post(
      'invoice',
      { CustomerRef: { value: customerId }, DocNumber: 'INV-42', Line: [line(1)] },
      { include: 'allowduplicatedocnum' },
    );
    expect(allowed.status).toBe(200);
    const long = await invoice({ DocNumber: 'X'.repeat(22), Line: [line(1)] });
    expect(long.body.Fault.Error[0]).toMatchObject({ code: '2050', element: 'DocNumber' });
  });

  it('answers 2500 for a customer or item that does not exist and 610 for an inactive one', async () => {
    expect(
      (await qbo.post('invoice', { CustomerRef: { value: '987654' }, Line: [line(1)] })).body.Fault.Error[0]
        .code,
    ).toBe('2500');
    const badItem = await invoice({
      Line: [
        {
          Amount: 1,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: '987654' } },
        },
      ],
    });
    expect(badItem.body.Fault.Error[0]).toMatchObject({
      code: '2500',
      element: 'Line.SalesItemLineDetail.ItemRef',
    });
    const inactive = await qbo.create('Customer', { DisplayName: 'Inactive Buyer' });
    await qbo.post('customer', { Id: inactive.Id, SyncToken: '0', sparse: true, Active: false });
    const refused = await qbo.post('invoice', { CustomerRef: { value: inactive.Id }, Line: [line(1)] });
    expect(refused.body.Fault.Error[0].code).toBe('610');
  });

  it('voids an invoice: zero amounts, "Voided" memo, new SyncToken', async () => {
    const created = (await invoice({ Line: [line(50, 1, 50, 'TAX')], PrivateNote: 'order 7' })).body.Invoice;
    const voided = await qbo.post(
      'invoice',
      { Id: created.Id, SyncToken: created.SyncToken },
      { operation: 'void' },
    );
    expect(voided.status).toBe(200);
    expect(voided.body.Invoice).toMatchObject({
      TotalAmt: 0,
      Balance: 0,
      SyncToken: '1',
      PrivateNote: 'Voided - order 7',
      TxnTaxDetail: { TotalTax: 0 },
    });
    expect(voided.body.Invoice.Line[0]).toMatchObject({ Amount: 0, SalesItemLineDetail: { Qty: 0 } });
    expect((await qbo.get(`invoice/${created.Id}`)).body.Invoice.TotalAmt).toBe(0);
  });

  it('deletes an invoice; reading it then answers 610', async () => {
    const created = (await invoice({ Line: [line(5)] })).body.Invoice;
    const stale = await qbo.post('invoice', { Id: created.Id, SyncToken: '7' }, { operation: 'delete' });
    expect(stale.body.Fault.Error[0].code).toBe('5010');
    const deleted = await qbo.post('invoice', { Id: created.Id, SyncToken: '0' }, { operation: 'delete' });
    expect(deleted.body.Invoice).toEqual({ domain: 'QBO', status: 'Deleted', Id: created.Id });
    expect((await qbo.get(`invoice/${created.Id}`)).body.Fault.Error[0].code).toBe('610');
  });

  it('sends an invoice by email: EmailStatus EmailSent, DeliveryInfo, new SyncToken', async () => {
    const created = (await invoice({ Line: [line(10)] })).body.Invoice;
    const noAddress = await qbo.post(`invoice/${created.Id}/send`, undefined);
    expect(noAddress.body.Fault.Error[0].code).toBe('2020');
    const sent = await qbo.post(`invoice/${created.Id}/send`, undefined, { sendTo: 'billing@example.com' });
    expect(sent.status).toBe(200);
    expect(sent.body.Invoice).toMatchObject({
      EmailStatus: 'EmailSent',
      BillEmail: { Address: 'billing@example.com' },
      DeliveryInfo: { DeliveryType: 'Email' },
      SyncToken: '1',
    });
  });

  it('records a sales receipt in Undeposited Funds, a credit memo with RemainingCredit, a refund receipt', async () => {
    const receipt = await qbo.create('SalesReceipt', { Line: [line(30)] });
    expect(receipt).toMatchObject({
      TotalAmt: 30,
      Balance: 0,
      DepositToAccountRef: { name: 'Undeposited Funds' },
    });
    const memo = await qbo.create('CreditMemo', { CustomerRef: { value: customerId }, Line: [line(25)] });
    expect(memo).toMatchObject({ TotalAmt: 25, RemainingCredit: 25 });
    const noAccount = await qbo.post('refundreceipt', { Line: [line(10)] });
    expect(noAccount.body.Fault.Error[0]).toMatchObject({ code: '2020', element: 'DepositToAccountRef' });
    const checking = (await qbo.query("select * from Account where Name = 'Checking'")).body.QueryResponse
      .Account[0];
    const refund = await qbo.create('RefundReceipt', {
      Line: [line(10)],
      DepositToAccountRef: { value: checking.Id },
    });
    expect(refund).toMatchObject({
      TotalAmt: 10,
      DepositToAccountRef: { value: checking.Id, name: 'Checking' },
    });
  });

  it('with multicurrency on, adds ExchangeRate and HomeTotalAmt; off, refuses a foreign currency', async () => {
    const refused = await qbo.post('customer', { DisplayName: 'Euro Buyer', CurrencyRef: { value: 'EUR' } });
    expect(refused.body.Fault.Error[0].code).toBe('6000');
    const enabled = await fetch(`${emulator.url}/_emulator/companies/${qbo.realmId}/settings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ multiCurrency: true }),
    });
    expect(enabled.status).toBe(200);
    const euro = await qbo.create('Customer', { DisplayName: 'Euro Buyer', CurrencyRef: { value: 'EUR' } });
    const answer = await qbo.post('invoice', {
      CustomerRef: { value: euro.Id },
      ExchangeRate: 1.1,
      Line: [line(100)],
    });
    expect(answer.body.Invoice).toMatchObject({
      CurrencyRef: { value: 'EUR' },
      ExchangeRate: 1.1,
      TotalAmt: 100,
      HomeTotalAmt: 110,
      HomeBalance: 110,
    });
    const wrong = await qbo.post('invoice', {
      CustomerRef: { value: euro.Id },
      CurrencyRef: { value: 'USD' },
      Line: [line(1)],
    });
    expect(wrong.body.Fault.Error[0].code).toBe('6000');
  });
});
