import { currencyExponent, Dec, money, toDecimalString } from '../../../domain/index.js';

/**
 * Minor units ↔ the decimal numbers QuickBooks speaks. Amounts go out as JSON numbers written from
 * our exact decimal text ("12.34"), never computed with floats, and come back through their shortest
 * decimal text, which for a value QuickBooks rounded to the currency's minor unit is exact.
 */
export function toQboAmount(minor: number, currency: string): number {
  return Number(toDecimalString(money(minor, currency)));
}

/** A QuickBooks amount in minor units; undefined when it is not a whole number of them. */
export function fromQboAmount(value: unknown, currency: string): number | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  let decimal: Dec;
  try {
    decimal = new Dec(String(value)).times(new Dec(10).pow(currencyExponent(currency)));
  } catch {
    return undefined;
  }
  if (!decimal.isInteger()) return undefined;
  const minor = decimal.toNumber();
  return Number.isSafeInteger(minor) ? minor : undefined;
}
