import { z } from 'zod';
import { isCurrencyCode } from '../../domain/currency.js';

/**
 * Shared API vocabulary. Money is always integer minor units next to an ISO 4217 code
 * (`{"amount": 1999, "currency": "USD"}` is $19.99; `{"amount": 500, "currency": "JPY"}` is ¥500);
 * quantities and percentage rates are decimal strings ("1.5", "8.875"). No JSON number is ever
 * a fraction of money.
 */
export const currencyCode = z
  .string()
  .transform((code) => code.toUpperCase())
  .refine(isCurrencyCode, { message: 'must be an ISO 4217 currency code' })
  .describe('ISO 4217 currency code, e.g. USD, JPY, KWD');

export const minorUnits = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .describe('Amount in the currency’s minor units (cents for USD, yen for JPY, fils for KWD)');

export const positiveMinorUnits = minorUnits.min(1);

export const decimalString = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'must be a decimal string such as "1.5"')
  .describe('A non-negative decimal written as a string');

export const idParam = z.object({ id: z.string().min(1).max(64) }).strict();

export const errorBody = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .meta({ id: 'Error' });

export const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(64).optional().describe('next_cursor from the previous page'),
  })
  .strict();

export const dateRangeQuery = z.object({
  created_from: z.iso.datetime({ offset: true }).optional(),
  created_to: z.iso.datetime({ offset: true }).optional(),
});

export function page<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() });
}

/** Timestamps in responses are ISO 8601 strings in UTC. */
export const isoTimestamp = z.string().describe('ISO 8601 timestamp, UTC');

export function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

export function isoOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : iso(value);
}
