/**
 * Money as Stripe counts it: integer amounts in the currency's smallest unit, exact decimal
 * arithmetic for `*_decimal` fields, rounding half away from zero wherever Stripe rounds
 * (line amounts, tax, fees), and the processing fee Stripe takes from each card payment.
 */

/** Currencies without minor units (Stripe's list); amounts in them are whole units. */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
/** Currencies with three decimal places; Stripe requires their charged amounts to end in 0. */
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

export function exponent(currency: string): number {
  const code = currency.toLowerCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** `n / d` rounded to the nearest integer, ties away from zero (d > 0). */
export function divHalfUp(n: bigint, d: bigint): bigint {
  const negative = n < 0n;
  const magnitude = negative ? -n : n;
  const q = (2n * magnitude + d) / (2n * d);
  return negative ? -q : q;
}

const SCALE = 12;
const ONE = 10n ** BigInt(SCALE);

/** A decimal string (`"12.345"`) or number as a fixed-point bigint with 12 fraction digits. */
export function toFixed12(value: string | number): bigint {
  const text = typeof value === 'number' ? numberToPlain(value) : value.trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new RangeError(`not a decimal: ${text}`);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const digits = BigInt(whole + fraction.slice(0, SCALE).padEnd(SCALE, '0'));
  return sign === '-' ? -digits : digits;
}

/** The shortest decimal string for a fixed-point value, as Stripe prints `*_decimal` fields. */
export function fromFixed12(value: bigint): string {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const whole = magnitude / ONE;
  const fraction = (magnitude % ONE).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

function numberToPlain(value: number): string {
  // Percentages such as 8.25 come from JSON numbers; toFixed avoids exponent notation.
  return Number.isInteger(value) ? String(value) : value.toFixed(SCALE).replace(/0+$/, '');
}

/** unit amount × quantity, rounded half-up to the smallest unit: a line's amount. */
export function lineAmount(unitAmountDecimal: string, quantity: string | number): number {
  return Number(divHalfUp(toFixed12(unitAmountDecimal) * toFixed12(quantity), ONE * ONE));
}

/** `amount × percent / 100`, half-up: an exclusive tax on a line. */
export function percentOf(amount: number, percent: number): number {
  return Number(divHalfUp(BigInt(amount) * toFixed12(percent), 100n * ONE));
}

/**
 * The tax contained in a tax-inclusive amount for one rate when the inclusive rates on the line
 * add up to `inclusiveTotal` percent: amount × rate / (100 + inclusiveTotal), half-up.
 */
export function inclusiveShare(amount: number, percent: number, inclusiveTotal: number): number {
  return Number(divHalfUp(BigInt(amount) * toFixed12(percent), 100n * ONE + toFixed12(inclusiveTotal)));
}

/**
 * Stripe's standard card pricing per settlement currency: a percentage in basis points plus a
 * fixed fee in that currency's minor units. Currencies not listed pay 2.9% + 0.30 of a major unit
 * (nothing fixed for zero-decimal currencies). Three-decimal currencies settle in multiples of 10.
 */
export const FEE_TABLE: Readonly<Record<string, { readonly bps: number; readonly fixed: number }>> = {
  usd: { bps: 290, fixed: 30 },
  cad: { bps: 290, fixed: 30 },
  eur: { bps: 150, fixed: 25 },
  gbp: { bps: 150, fixed: 20 },
  aud: { bps: 170, fixed: 30 },
  chf: { bps: 290, fixed: 30 },
  jpy: { bps: 360, fixed: 0 },
  kwd: { bps: 290, fixed: 100 },
  bhd: { bps: 290, fixed: 100 },
  jod: { bps: 290, fixed: 100 },
  omr: { bps: 290, fixed: 100 },
  tnd: { bps: 290, fixed: 300 },
};

export function feeFor(currency: string): { bps: number; fixed: number } {
  const code = currency.toLowerCase();
  const listed = FEE_TABLE[code];
  if (listed) return listed;
  const exp = exponent(code);
  return { bps: 290, fixed: exp === 0 ? 0 : 30 * 10 ** (exp - 2) };
}

/** The processing fee on a successful card charge of `amount`. */
export function stripeFee(amount: number, currency: string): number {
  const { bps, fixed } = feeFor(currency);
  const fee = Number(divHalfUp(BigInt(amount) * BigInt(bps), 10_000n)) + fixed;
  return exponent(currency) === 3 ? Number(divHalfUp(BigInt(fee), 10n)) * 10 : fee;
}

/** `1234, 'usd'` → `$12.34`; uses the currency's exponent, never floating point. */
export function formatAmount(amount: number, currency: string): string {
  const exp = exponent(currency);
  const negative = amount < 0;
  const digits = String(Math.abs(amount)).padStart(exp + 1, '0');
  const whole = digits.slice(0, digits.length - exp).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = exp > 0 ? `.${digits.slice(-exp)}` : '';
  const symbol = SYMBOLS[currency.toLowerCase()];
  const text = symbol ? `${symbol}${whole}${fraction}` : `${whole}${fraction} ${currency.toUpperCase()}`;
  return negative ? `-${text}` : text;
}

const SYMBOLS: Readonly<Record<string, string>> = {
  usd: '$',
  eur: '€',
  gbp: '£',
  jpy: '¥',
  cad: 'CA$',
  aud: 'A$',
};
