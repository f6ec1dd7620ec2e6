import type { Decimal as DecimalValue } from 'decimal.js';
import DecimalModule from 'decimal.js';
import { DecimalFormatError, MoneyError } from './errors.js';

export { DecimalFormatError } from './errors.js';

/*
 * decimal.js ships CommonJS-style typings next to its ESM build, so under NodeNext TypeScript believes the
 * default import is the module object while at runtime it is the Decimal class itself. One cast here
 * keeps that wart out of every other file.
 */
const GlobalDecimal = DecimalModule as unknown as typeof DecimalModule.default;

/**
 * Private Decimal constructor: 50 significant digits is far beyond any quantity × price we accept
 * (≤ 15 + 6 digits × 16 digits), so intermediate products are exact, and ROUND_HALF_UP is commercial
 * rounding. Cloning instead of `Decimal.set` keeps the global config untouched for other code.
 */
export const Dec = GlobalDecimal.clone({
  precision: 50,
  rounding: GlobalDecimal.ROUND_HALF_UP,
  toExpNeg: -50,
  toExpPos: 50,
});
export type Dec = DecimalValue;

const QUANTITY_FRACTION_DIGITS = 6;
const RATE_FRACTION_DIGITS = 4;
// Bounded integer part so a hostile "1e…"-length string cannot make the maths slow or overflow later.
const MAX_INTEGER_DIGITS = 15;

function plainDecimal(fractionDigits: number): RegExp {
  return new RegExp(`^(\\d{1,${MAX_INTEGER_DIGITS}})(?:\\.(\\d{1,${fractionDigits}}))?$`);
}

const QUANTITY = plainDecimal(QUANTITY_FRACTION_DIGITS);
const RATE = plainDecimal(RATE_FRACTION_DIGITS);

/**
 * Validates a non-negative quantity ("1.5" hours, "0.333333" of a licence) and returns its canonical form
 * ("1.50" → "1.5", "007" → "7", "0.000" → "0"). Only plain decimals: no sign, exponent or spaces, so
 * what is stored is exactly what was typed.
 */
export function parseQuantity(value: string): string {
  if (!QUANTITY.test(value)) {
    throw new DecimalFormatError(
      `quantity must be a non-negative decimal with at most ${QUANTITY_FRACTION_DIGITS} fraction digits, ` +
        `got ${JSON.stringify(value)}`,
    );
  }
  return new Dec(value).toFixed();
}

/** Validates a percentage rate between 0 and 100 with at most 4 fraction digits ("8.875") and canonicalises it. */
export function parseRate(value: string): string {
  if (!RATE.test(value)) {
    throw new DecimalFormatError(
      `rate must be a percentage with at most ${RATE_FRACTION_DIGITS} fraction digits, got ${JSON.stringify(value)}`,
    );
  }
  const rate = new Dec(value);
  if (rate.gt(100)) throw new DecimalFormatError(`rate must be at most 100, got ${value}`);
  return rate.toFixed();
}

/**
 * Rounds to a whole number of minor units with ROUND_HALF_UP (halves away from zero: 2.5 → 3, -2.5 → -3)
 * and returns it as a safe integer; results past ±(2^53 − 1) throw instead of losing precision.
 */
export function roundHalfUpToInteger(value: Dec): number {
  const rounded = value.toDecimalPlaces(0, Dec.ROUND_HALF_UP);
  const result = rounded.toNumber();
  if (!Number.isSafeInteger(result) || !rounded.eq(result)) {
    throw new MoneyError(`amount ${rounded.toFixed()} exceeds the safe integer range`);
  }
  return result === 0 ? 0 : result; // no -0
}

/** `amount × rate / 100`, exact (rate is a percentage string already validated by parseRate). */
export function percentOf(amount: number, rate: string): Dec {
  return new Dec(amount).times(rate).div(100);
}
