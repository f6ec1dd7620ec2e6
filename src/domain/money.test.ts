import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURRENCY_CODES, currencyExponent } from './currency.js';
import { UnknownCurrencyError } from './errors.js';
import {
  add,
  CurrencyMismatchError,
  compare,
  formatMoney,
  fromDecimalString,
  isNegative,
  isZero,
  MoneyError,
  money,
  subtract,
  sum,
  toDecimalString,
} from './money.js';

const MAX = Number.MAX_SAFE_INTEGER;

describe('money', () => {
  it('accepts safe integers and normalises -0', () => {
    expect(money(1234, 'USD')).toEqual({ amount: 1234, currency: 'USD' });
    expect(Object.is(money(-0, 'USD').amount, 0)).toBe(true);
  });

  it.each([0.5, Number.NaN, Number.POSITIVE_INFINITY, MAX + 1, -(MAX + 1)])('rejects %d', (amount) => {
    expect(() => money(amount, 'USD')).toThrow(MoneyError);
  });

  it('rejects unknown currencies', () => {
    expect(() => money(1, 'usd')).toThrow(UnknownCurrencyError);
  });
});

describe('arithmetic', () => {
  it('adds, subtracts, sums and compares in one currency', () => {
    expect(add(money(150, 'USD'), money(-50, 'USD'))).toEqual(money(100, 'USD'));
    expect(subtract(money(100, 'USD'), money(250, 'USD'))).toEqual(money(-150, 'USD'));
    expect(sum([money(1, 'JPY'), money(2, 'JPY'), money(3, 'JPY')], 'JPY')).toEqual(money(6, 'JPY'));
    expect(sum([], 'EUR')).toEqual(money(0, 'EUR'));
    expect(compare(money(1, 'USD'), money(2, 'USD'))).toBe(-1);
    expect(compare(money(2, 'USD'), money(2, 'USD'))).toBe(0);
    expect(compare(money(3, 'USD'), money(2, 'USD'))).toBe(1);
    expect(isZero(money(0, 'USD'))).toBe(true);
    expect(isNegative(money(-1, 'USD'))).toBe(true);
    expect(isNegative(money(0, 'USD'))).toBe(false);
  });

  it('never mixes currencies', () => {
    expect(() => add(money(1, 'USD'), money(1, 'EUR'))).toThrow(CurrencyMismatchError);
    expect(() => subtract(money(1, 'USD'), money(1, 'EUR'))).toThrow(CurrencyMismatchError);
    expect(() => compare(money(1, 'USD'), money(1, 'EUR'))).toThrow(CurrencyMismatchError);
    expect(() => sum([money(1, 'EUR')], 'USD')).toThrow(CurrencyMismatchError);
  });

  it('throws on overflow instead of losing precision', () => {
    expect(add(money(MAX - 1, 'USD'), money(1, 'USD')).amount).toBe(MAX);
    expect(() => add(money(MAX, 'USD'), money(1, 'USD'))).toThrow(MoneyError);
    expect(() => subtract(money(-MAX, 'USD'), money(1, 'USD'))).toThrow(MoneyError);
    expect(() => sum([money(MAX, 'USD'), money(MAX, 'USD')], 'USD')).toThrow(MoneyError);
  });

  it('add agrees with BigInt arithmetic whenever it returns', () => {
    const amount = fc.integer({ min: -MAX, max: MAX });
    fc.assert(
      fc.property(amount, amount, (a, b) => {
        const exact = BigInt(a) + BigInt(b);
        const fits = exact <= BigInt(MAX) && exact >= BigInt(-MAX);
        if (fits) expect(BigInt(add(money(a, 'USD'), money(b, 'USD')).amount)).toBe(exact);
        else expect(() => add(money(a, 'USD'), money(b, 'USD'))).toThrow(MoneyError);
      }),
    );
  });
});

describe('decimal strings', () => {
  it.each([
    [1234, 'USD', '12.34'],
    [5, 'USD', '0.05'],
    [-5, 'USD', '-0.05'],
    [0, 'USD', '0.00'],
    [5, 'JPY', '5'],
    [-5, 'JPY', '-5'],
    [1234, 'KWD', '1.234'],
    [1, 'CLF', '0.0001'],
    [MAX, 'USD', '90071992547409.91'],
  ])('%i %s ↔ %s', (amount, currency, text) => {
    expect(toDecimalString(money(amount, currency))).toBe(text);
    expect(fromDecimalString(text, currency)).toEqual(money(amount, currency));
  });

  it('accepts fewer fraction digits than the exponent', () => {
    expect(fromDecimalString('12.3', 'USD').amount).toBe(1230);
    expect(fromDecimalString('12', 'KWD').amount).toBe(12000);
    expect(fromDecimalString('-0', 'USD').amount).toBe(0);
  });

  it.each([
    ['12.345', 'USD'],
    ['12.340', 'USD'],
    ['5.0', 'JPY'],
    ['1e3', 'USD'],
    ['12.', 'USD'],
    ['.5', 'USD'],
    ['+1', 'USD'],
    [' 1', 'USD'],
    ['1,000', 'USD'],
    ['', 'USD'],
    ['NaN', 'USD'],
    ['90071992547409.92', 'USD'],
  ])('rejects %j in %s', (text, currency) => {
    expect(() => fromDecimalString(text, currency)).toThrow(MoneyError);
  });

  it('round-trips every safe amount in every currency', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -MAX, max: MAX }),
        fc.constantFrom(...CURRENCY_CODES),
        (amount, currency) => {
          const text = toDecimalString(money(amount, currency));
          expect(fromDecimalString(text, currency)).toEqual(money(amount, currency));
          const fraction = text.split('.')[1] ?? '';
          expect(fraction.length).toBe(currencyExponent(currency));
        },
      ),
    );
  });
});

describe('formatMoney', () => {
  it('formats with ISO minor units', () => {
    expect(formatMoney(money(123456, 'USD'), 'en-US')).toBe('$1,234.56');
    expect(formatMoney(money(-5, 'USD'), 'en-US')).toBe('-$0.05');
    expect(formatMoney(money(1234, 'JPY'), 'en-US')).toBe('¥1,234');
    expect(formatMoney(money(1234, 'KWD'), 'en-US')).toMatch(/1\.234$/);
    expect(formatMoney(money(1234, 'IQD'), 'en-US')).toMatch(/1\.234$/);
    expect(formatMoney(money(MAX, 'USD'), 'en-US')).toBe('$90,071,992,547,409.91');
  });
});
