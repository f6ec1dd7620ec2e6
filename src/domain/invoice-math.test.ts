import { describe, expect, it } from 'vitest';
import { UnknownCurrencyError } from './errors.js';
import { computeInvoice, computeLine, InvoiceMathError, type LineInput } from './invoice-math.js';
import { MoneyError } from './money.js';

describe('computeLine examples', () => {
  it.each<[string, LineInput, { gross: number; discount: number; net: number; tax: number; total: number }]>([
    [
      'plain USD line',
      { quantity: '2', unitPrice: 1999 },
      { gross: 3998, discount: 0, net: 3998, tax: 0, total: 3998 },
    ],
    [
      '1.5 × 3333 rounds half up',
      { quantity: '1.5', unitPrice: 3333 },
      { gross: 5000, discount: 0, net: 5000, tax: 0, total: 5000 },
    ],
    [
      'one third of a price',
      { quantity: '0.333333', unitPrice: 300 },
      { gross: 100, discount: 0, net: 100, tax: 0, total: 100 },
    ],
    [
      'exclusive 8.875% tax, .5 rounds up',
      { quantity: '1', unitPrice: 10000, taxRate: '8.875' },
      { gross: 10000, discount: 0, net: 10000, tax: 888, total: 10888 },
    ],
    [
      'inclusive 20% VAT on 1000',
      { quantity: '1', unitPrice: 1000, taxRate: '20', taxInclusive: true },
      { gross: 1000, discount: 0, net: 833, tax: 167, total: 1000 },
    ],
    [
      'percent discount 5% of 1010 = 50.5 → 51',
      { quantity: '1', unitPrice: 1010, discount: { kind: 'percent', rate: '5' } },
      { gross: 1010, discount: 51, net: 959, tax: 0, total: 959 },
    ],
    [
      'percent discount 4.95% of 1000 = 49.5 → 50',
      { quantity: '1', unitPrice: 1000, discount: { kind: 'percent', rate: '4.95' } },
      { gross: 1000, discount: 50, net: 950, tax: 0, total: 950 },
    ],
    [
      'amount discount then 10% exclusive tax',
      { quantity: '2', unitPrice: 2500, discount: { kind: 'amount', amount: 1234 }, taxRate: '10' },
      { gross: 5000, discount: 1234, net: 3766, tax: 377, total: 4143 },
    ],
    [
      'discount applies before inclusive tax is backed out',
      {
        quantity: '1',
        unitPrice: 12000,
        discount: { kind: 'percent', rate: '10' },
        taxRate: '20',
        taxInclusive: true,
      },
      { gross: 12000, discount: 1200, net: 9000, tax: 1800, total: 10800 },
    ],
    [
      '100% discount leaves nothing to tax',
      { quantity: '3', unitPrice: 999, discount: { kind: 'percent', rate: '100' }, taxRate: '19' },
      { gross: 2997, discount: 2997, net: 0, tax: 0, total: 0 },
    ],
    [
      'free line',
      { quantity: '5', unitPrice: 0, taxRate: '20' },
      { gross: 0, discount: 0, net: 0, tax: 0, total: 0 },
    ],
    ['zero quantity', { quantity: '0', unitPrice: 500 }, { gross: 0, discount: 0, net: 0, tax: 0, total: 0 }],
    [
      'taxInclusive without a rate is simply untaxed',
      { quantity: '1', unitPrice: 700, taxInclusive: true },
      { gross: 700, discount: 0, net: 700, tax: 0, total: 700 },
    ],
  ])('%s', (_name, line, expected) => {
    expect(computeLine(line)).toEqual(expected);
  });
});

describe('computeInvoice examples', () => {
  it('JPY (exponent 0): minor unit is the yen', () => {
    const invoice = computeInvoice('JPY', [{ quantity: '3', unitPrice: 333, taxRate: '10' }]);
    expect(invoice).toMatchObject({ currency: 'JPY', subtotal: 999, discount: 0, tax: 100, total: 1099 });
  });

  it('KWD (exponent 3): minor unit is the fils', () => {
    const invoice = computeInvoice('KWD', [{ quantity: '0.5', unitPrice: 1235, taxRate: '5' }]);
    expect(invoice.lines[0]).toEqual({ gross: 618, discount: 0, net: 618, tax: 31, total: 649 });
    expect(invoice.total).toBe(649);
  });

  it('mixes exclusive and inclusive lines with subtotal − discount + tax = total', () => {
    const invoice = computeInvoice('USD', [
      { quantity: '1.5', unitPrice: 3333, discount: { kind: 'amount', amount: 500 }, taxRate: '8.875' },
      { quantity: '1', unitPrice: 1000, taxRate: '20', taxInclusive: true },
    ]);
    // Line 1: gross 5000, discount 500, net 4500, tax 399.375 → 399, total 4899.
    // Line 2: gross 1000, net 833, tax 167, total 1000.
    expect(invoice).toMatchObject({
      subtotal: 5000 + 833,
      discount: 500,
      tax: 399 + 167,
      total: 4899 + 1000,
    });
    expect(invoice.subtotal - invoice.discount + invoice.tax).toBe(invoice.total);
  });

  it('an empty invoice totals zero', () => {
    expect(computeInvoice('EUR', [])).toEqual({
      currency: 'EUR',
      lines: [],
      subtotal: 0,
      discount: 0,
      tax: 0,
      total: 0,
    });
  });
});

describe('computeInvoice rejects invalid input', () => {
  it.each<[string, LineInput, new (...args: never[]) => Error]>([
    ['negative unit price', { quantity: '1', unitPrice: -1 }, InvoiceMathError],
    ['fractional unit price', { quantity: '1', unitPrice: 1.5 }, InvoiceMathError],
    [
      'amount discount above gross',
      { quantity: '1', unitPrice: 100, discount: { kind: 'amount', amount: 101 } },
      InvoiceMathError,
    ],
    [
      'negative amount discount',
      { quantity: '1', unitPrice: 100, discount: { kind: 'amount', amount: -1 } },
      InvoiceMathError,
    ],
    [
      'percent discount above 100',
      { quantity: '1', unitPrice: 100, discount: { kind: 'percent', rate: '100.5' } },
      Error,
    ],
    ['negative quantity', { quantity: '-1', unitPrice: 100 }, Error],
    ['7 fraction digits', { quantity: '0.1234567', unitPrice: 100 }, Error],
    ['bad tax rate', { quantity: '1', unitPrice: 100, taxRate: '8,5' }, Error],
    ['overflowing product', { quantity: '999999999999999', unitPrice: 10_000_000 }, MoneyError],
  ])('%s', (_name, line, errorClass) => {
    expect(() => computeInvoice('USD', [{ quantity: '1', unitPrice: 1 }, line])).toThrow(errorClass);
    expect(() => computeInvoice('USD', [{ quantity: '1', unitPrice: 1 }, line])).toThrow(/^line 2: /);
  });

  it('unknown currency', () => {
    expect(() => computeInvoice('XYZ', [])).toThrow(UnknownCurrencyError);
  });

  it('invoice-level overflow', () => {
    const line = { quantity: '1', unitPrice: Number.MAX_SAFE_INTEGER };
    expect(() => computeInvoice('USD', [line, line])).toThrow(MoneyError);
  });
});
