import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Dec,
  DecimalFormatError,
  parseQuantity,
  parseRate,
  percentOf,
  roundHalfUpToInteger,
} from './decimal.js';
import { MoneyError } from './errors.js';

describe('parseQuantity', () => {
  it.each([
    ['1.50', '1.5'],
    ['2', '2'],
    ['007', '7'],
    ['0', '0'],
    ['0.000', '0'],
    ['0.333333', '0.333333'],
    ['999999999999999.999999', '999999999999999.999999'],
  ])('%j → %j', (input, canonical) => {
    expect(parseQuantity(input)).toBe(canonical);
  });

  it.each([
    '-1',
    '1.1234567',
    '1e3',
    '.5',
    '1.',
    ' 1',
    '1,5',
    '',
    'NaN',
    'Infinity',
    '+1',
    '1234567890123456',
  ])('rejects %j', (input) => {
    expect(() => parseQuantity(input)).toThrow(DecimalFormatError);
  });

  it('canonical form is a fixed point and preserves the value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n - 1n }), fc.nat({ max: 3 }), (micros, extraZeros) => {
        const text = `${micros / 1_000_000n}.${(micros % 1_000_000n).toString().padStart(6, '0')}`;
        // Up to 12 integer digits plus 3 leading zeros stays within the 15 digits allowed.
        const canonical = parseQuantity(`${'0'.repeat(extraZeros)}${text}`);
        expect(parseQuantity(canonical)).toBe(canonical);
        expect(new Dec(canonical).eq(text)).toBe(true);
        expect(canonical).not.toMatch(/\.\d*0$|^0\d/);
      }),
    );
  });
});

describe('parseRate', () => {
  it.each([
    ['8.875', '8.875'],
    ['20.00', '20'],
    ['0', '0'],
    ['100', '100'],
    ['100.0000', '100'],
    ['0.0001', '0.0001'],
  ])('%j → %j', (input, canonical) => {
    expect(parseRate(input)).toBe(canonical);
  });

  it.each(['100.0001', '101', '-1', '8.87501', '8%', '', 'abc'])('rejects %j', (input) => {
    expect(() => parseRate(input)).toThrow(DecimalFormatError);
  });

  it('uses the invalid_decimal error code', () => {
    expect(() => parseRate('x')).toThrow(expect.objectContaining({ code: 'invalid_decimal' }));
  });
});

describe('roundHalfUpToInteger', () => {
  it.each([
    ['2.5', 3],
    ['2.4999999', 2],
    ['3.5', 4],
    ['-2.5', -3],
    ['0.5', 1],
    ['-0.4', 0],
    ['9007199254740991.4', Number.MAX_SAFE_INTEGER],
  ])('%s → %i', (input, expected) => {
    const result = roundHalfUpToInteger(new Dec(input));
    expect(result).toBe(expected);
    expect(Object.is(result, -0)).toBe(false);
  });

  it('throws rather than returning an imprecise number', () => {
    expect(() => roundHalfUpToInteger(new Dec('9007199254740991.5'))).toThrow(MoneyError);
    expect(() => roundHalfUpToInteger(new Dec('1e30'))).toThrow(MoneyError);
  });

  it('is not affected by, and does not change, the global decimal.js configuration', async () => {
    const { default: Global } = await import('decimal.js');
    const globalConfig = Global as unknown as { precision: number; rounding: number };
    expect(globalConfig.precision).toBe(20);
    expect(Dec.rounding).toBe(Dec.ROUND_HALF_UP);
    expect(Dec.precision).toBe(50);
  });

  it('percentOf is exact', () => {
    expect(percentOf(10000, '8.875').toFixed()).toBe('887.5');
    expect(percentOf(1, '0.0001').toFixed()).toBe('0.000001');
  });
});
