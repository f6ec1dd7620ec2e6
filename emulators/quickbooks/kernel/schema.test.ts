import { describe, expect, it } from 'vitest';
import { performWrite } from '../api/operations.js';
import { validateEntityBody } from './schema.js';
import { QboState } from './state.js';

/** What the emulator answers, a client may send back: every stored object passes the XSD check. */
describe('entity schema', () => {
  it('accepts every object the emulator creates, so read-modify-write round-trips', () => {
    const state = new QboState();
    const company = state.createCompany();
    const write = (entity: string, body: Record<string, unknown>, operation: 'save' | 'void' = 'save') =>
      performWrite(state, company, { entity, operation, body })[entity] as Record<string, string>;
    const customer = write('Customer', {
      DisplayName: 'Schema Co',
      BillAddr: { Line1: '1 Main St', City: 'Reno' },
    });
    const line = {
      Amount: 10,
      DetailType: 'SalesItemLineDetail',
      SalesItemLineDetail: { Qty: 1, UnitPrice: 10, TaxCodeRef: { value: 'TAX' } },
    };
    const discount = {
      Amount: 1,
      DetailType: 'DiscountLineDetail',
      DiscountLineDetail: { PercentBased: false },
    };
    const invoice = write('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [line, discount],
      CustomerMemo: { value: 'Thanks' },
    });
    write('Payment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 5,
      Line: [{ Amount: 5, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    const receipt = write('SalesReceipt', { Line: [line] });
    const checking = company.all('Account').find((account) => account.Name === 'Checking');
    write('Deposit', {
      DepositToAccountRef: { value: checking?.Id },
      Line: [{ Amount: receipt.TotalAmt, LinkedTxn: [{ TxnId: receipt.Id, TxnType: 'SalesReceipt' }] }],
    });
    write('CreditMemo', { CustomerRef: { value: customer.Id }, Line: [line] });
    write('Invoice', { Id: invoice.Id, SyncToken: '1' }, 'void');

    const entities = [
      'Customer',
      'Item',
      'Account',
      'Invoice',
      'Payment',
      'SalesReceipt',
      'Deposit',
      'CreditMemo',
      'TaxCode',
      'TaxRate',
      'Preferences',
      'CompanyInfo',
    ];
    for (const entity of entities) {
      const objects = company.all(entity);
      expect(objects.length, entity).toBeGreaterThan(0);
      for (const object of objects)
        expect(() => validateEntityBody(entity, object), `${entity} ${object.Id}`).not.toThrow();
    }
  });

  it('names the unknown field and the class', () => {
    expect(() => validateEntityBody('Invoice', { Line: [{ Amount: 1, Colour: 'red' }] })).toThrow(
      /Unrecognized field "Colour" \(class com\.intuit\.schema\.finance\.v3\.Line\)/,
    );
    expect(() => validateEntityBody('Invoice', { TotalAmt: 'ten' })).toThrow(/Invalid Number/);
  });
});
