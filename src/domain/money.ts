import { currencyExponent } from './currency.js';
import { CurrencyMismatchError, MoneyError } from './errors.js';

export { CurrencyMismatchError, MoneyError } from './errors.js';

/**
 * An amount of money as an integer count of the currency's minor unit (cents for USD, yen for JPY, fils
 * for KWD). Integers are exact where binary floats are not (0.1 + 0.2 !== 0.3), and Stripe, QuickBooks
 * and our int8 columns all speak minor units. `number` rather than bigint because every value we store
 * fits in ±2^53 and JSON/drivers hand us numbers; arithmetic that would leave that range throws.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export function money(amount: number, currency: string): Money {
  assertSafeAmount(amount);
  currencyExponent(currency); // throws UnknownCurrencyError
  // Normalise -0 so that equality checks and serialisation never see a "negative zero".
  return Object.freeze({ amount: amount === 0 ? 0 : amount, currency });
}

export function add(a: Money, b: Money): Money {
  assertSameCurrency(a.currency, b.currency);
  return money(checked(a.amount + b.amount), a.currency);
}

export function subtract(a: Money, b: Money): Money {
  assertSameCurrency(a.currency, b.currency);
  return money(checked(a.amount - b.amount), a.currency);
}

/** Sums amounts that must all be in `currency`; the currency is explicit so an empty list has one. */
export function sum(items: readonly Money[], currency: string): Money {
  let total = money(0, currency);
  for (const item of items) total = add(total, item);
  return total;
}

export function isZero(m: Money): boolean {
  return m.amount === 0;
}

export function isNegative(m: Money): boolean {
  return m.amount < 0;
}

export function isPositive(m: Money): boolean {
  return m.amount > 0;
}

export function compare(a: Money, b: Money): -1 | 0 | 1 {
  assertSameCurrency(a.currency, b.currency);
  return a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0;
}

export function equals(a: Money, b: Money): boolean {
  return a.currency === b.currency && a.amount === b.amount;
}

/** Exact decimal rendering for APIs and ledgers: 1234 USD → "12.34", 5 JPY → "5", -5 USD → "-0.05". */
export function toDecimalString(m: Money): string {
  const exponent = currencyExponent(m.currency);
  const digits = Math.abs(m.amount).toString();
  const sign = m.amount < 0 ? '-' : '';
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

const PLAIN_DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses a plain decimal ("12.34", "-0.5", "7") into minor units without ever going through a float.
 * More fraction digits than the currency has ("12.345" USD, even "12.340") are rejected rather than
 * rounded: a silently rounded amount is a reconciliation bug waiting to happen.
 */
export function fromDecimalString(value: string, currency: string): Money {
  const exponent = currencyExponent(currency);
  const match = PLAIN_DECIMAL.exec(value);
  if (!match) throw new MoneyError(`${JSON.stringify(value)} is not a plain decimal amount`);
  const [, sign = '', whole = '', fraction = ''] = match;
  if (fraction.length > exponent) {
    throw new MoneyError(`${value} has more than ${exponent} fraction digits allowed for ${currency}`);
  }
  const minor = BigInt(whole + fraction.padEnd(exponent, '0')) * (sign === '-' ? -1n : 1n);
  if (minor > BigInt(Number.MAX_SAFE_INTEGER) || minor < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MoneyError(`${value} ${currency} is outside the supported range`);
  }
  return money(Number(minor), currency);
}

/**
 * Human-readable amount for UIs and emails only; never parse it back. The string form is passed to Intl
 * so that huge amounts are not rounded through a float, and the fraction digits are pinned to ISO 4217
 * because CLDR data used by Intl sometimes disagrees (it shows IQD and IRR without decimals).
 */
export function formatMoney(m: Money, locale?: string): string {
  const exponent = currencyExponent(m.currency);
  const format = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: m.currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  return format.format(toDecimalString(m) as Intl.StringNumericLiteral);
}

/** Throws unless `amount` is an exact integer number of minor units within ±(2^53 − 1). */
export function assertSafeAmount(amount: number): void {
  if (!Number.isSafeInteger(amount)) {
    throw new MoneyError(`amount must be a safe integer of minor units, got ${amount}`);
  }
}

function checked(result: number): number {
  // Past 2^53 the float result may already be rounded, so refuse rather than return a wrong amount.
  if (!Number.isSafeInteger(result))
    throw new MoneyError('amount overflow: result exceeds the safe integer range');
  return result;
}

function assertSameCurrency(expected: string, actual: string): void {
  if (expected !== actual) throw new CurrencyMismatchError(expected, actual);
}
