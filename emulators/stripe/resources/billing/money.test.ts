import { describe, expect, it } from 'vitest';
import type { TaxRateObject } from './catalog.js';
import { lineTaxes } from './lines.js';
import { exponent, feeFor, formatAmount, lineAmount, stripeFee } from './money.js';

describe('billing money', () => {
  it.each([
    // currency, amount (minor units), fee: percent part rounded half-up, plus the fixed part
    ['usd', 10_000, 320], // 2.9% + 30¢
    ['usd', 500, 45], // 14.5 → 15, + 30
    ['usd', 12_823, 402], // 371.867 → 372, + 30
    ['eur', 10_000, 175], // 1.5% + 25
    ['gbp', 10_000, 170], // 1.5% + 20
    ['jpy', 10_000, 360], // zero-decimal: 3.6%, no fixed part
    ['jpy', 1_234, 44], // 44.424 → 44
    ['kwd', 10_000, 390], // three-decimal: 2.9% + 0.100, in multiples of 10
    ['kwd', 12_345, 460], // 357.9 → 358, + 100 = 458 → 460
    ['sek', 10_000, 320], // not listed: 2.9% + 0.30
    ['bif', 10_000, 290], // not listed, zero-decimal: nothing fixed
  ])('charges %s %i a fee of %i', (currency, amount, fee) => {
    expect(stripeFee(amount, currency)).toBe(fee);
  });

  it('knows each currency exponent and formats with it', () => {
    expect([exponent('usd'), exponent('JPY'), exponent('kwd')]).toEqual([2, 0, 3]);
    expect(formatAmount(12_823, 'usd')).toBe('$128.23');
    expect(formatAmount(1_234_567, 'jpy')).toBe('¥1,234,567');
    expect(formatAmount(12_345, 'kwd')).toBe('12.345 KWD');
    expect(formatAmount(-5, 'eur')).toBe('-€0.05');
    expect(feeFor('USD')).toEqual({ bps: 290, fixed: 30 });
  });

  it('rounds line amounts half away from zero, exactly', () => {
    expect(lineAmount('0.5', 1)).toBe(1);
    expect(lineAmount('-0.5', 1)).toBe(-1);
    expect(lineAmount('1234.5', 3)).toBe(3704);
    expect(lineAmount('333.333', '3')).toBe(1000);
    expect(lineAmount('0.1', '0.2')).toBe(0);
    expect(lineAmount('2500', '1.5')).toBe(3750);
    expect(lineAmount('0.000000000001', 500_000_000_000)).toBe(1);
  });

  const rate = (id: string, percentage: number, inclusive: boolean) =>
    ({ id, percentage, inclusive }) as TaxRateObject;

  it('carves inclusive taxes out together and adds exclusive ones on the rest', () => {
    expect(lineTaxes(3704, [rate('a', 20, true)]).map((tax) => tax.amount)).toEqual([617]);
    // 10% and 5% inclusive in 11.50: 1.00 and 0.50, leaving 10.00 taxable.
    const both = lineTaxes(1150, [rate('a', 10, true), rate('b', 5, true)]);
    expect(both.map((tax) => [tax.amount, tax.taxable_amount])).toEqual([
      [100, 1000],
      [50, 1000],
    ]);
    const mixed = lineTaxes(1200, [rate('vat', 20, true), rate('extra', 8.25, false)]);
    expect(mixed.map((tax) => [tax.amount, tax.tax_behavior])).toEqual([
      [200, 'inclusive'],
      [83, 'exclusive'], // 8.25% of 10.00 = 0.825 → 0.83
    ]);
  });
});
