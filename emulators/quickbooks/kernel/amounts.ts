import { Decimal, type DecimalInput, ROUND_HALF_UP } from './decimal.js';
import { faults } from './faults.js';

/**
 * QuickBooks speaks decimals (`"Amount": 12.5`); the emulator computes in integer cents and rounds
 * half-up to the cent, as QuickBooks does, so totals never drift by float error.
 */
export function parseDecimal(value: unknown, element: string): Decimal {
  if (typeof value === 'number' && Number.isFinite(value)) return new Decimal(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return new Decimal(value.trim());
  }
  throw faults.invalidNumber(element, value);
}

export function toCents(value: unknown, element: string): number {
  return decimalToCents(parseDecimal(value, element));
}

export function decimalToCents(value: Decimal): number {
  return value.times(100).toDecimalPlaces(0, ROUND_HALF_UP).toNumber();
}

/** Cents back to the JSON number QuickBooks sends (1050 → 10.5). */
export function fromCents(cents: number): number {
  return new Decimal(cents).dividedBy(100).toNumber();
}

/** `cents × percent / 100`, rounded half-up to the cent. */
export function percentOf(cents: number, percent: DecimalInput): number {
  return new Decimal(cents).times(percent).dividedBy(100).toDecimalPlaces(0, ROUND_HALF_UP).toNumber();
}

export function optionalCents(value: unknown, element: string): number | undefined {
  return value === undefined || value === null ? undefined : toCents(value, element);
}
