import { describe, expect, it } from 'vitest';
import * as domain from './index.js';

describe('domain index', () => {
  it('re-exports the public API', () => {
    const exported = Object.keys(domain);
    expect(exported).toEqual(
      expect.arrayContaining([
        'currencyExponent',
        'money',
        'toDecimalString',
        'fromDecimalString',
        'parseQuantity',
        'parseRate',
        'computeInvoice',
        'transitionInvoice',
        'invoiceTransitions',
        'transitionBillable',
        'applyPayment',
        'applyRefund',
        'defineStateMachine',
      ]),
    );
  });

  it('gives every domain error a distinct stable code', () => {
    const errors = [
      new domain.UnknownCurrencyError('X'),
      new domain.CurrencyMismatchError('USD', 'EUR'),
      new domain.MoneyError('m'),
      new domain.DecimalFormatError('d'),
      new domain.InvoiceMathError('i'),
      new domain.OverpaymentError(2, 1, 'USD'),
      new domain.RefundExceedsPaymentError(2, 1, 'USD'),
      new domain.IllegalTransitionError('invoice', 'paid', 'void'),
    ];
    for (const error of errors) expect(error).toBeInstanceOf(domain.DomainError);
    expect(errors.map((e) => e.code)).toEqual([
      'unknown_currency',
      'currency_mismatch',
      'invalid_amount',
      'invalid_decimal',
      'invoice_math',
      'overpayment',
      'refund_exceeds_payment',
      'illegal_transition',
    ]);
  });
});
