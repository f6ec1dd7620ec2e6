import { z } from 'zod';
import { parameterInvalid, parameterMissing, parameterUnknown, type StripeError } from './errors.js';

/**
 * Request parameters arrive form-encoded, so every leaf is a string. These helpers turn zod
 * schemas into Stripe's parameter rules: unknown parameters are refused by name, missing required
 * ones too, and values are converted the way Stripe reads them.
 */
export const int = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const text = String(value).trim();
    const parsed = Number(text);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(parsed)) {
      ctx.addIssue({
        code: 'custom',
        message: 'Invalid integer',
        params: { stripe: 'parameter_invalid_integer' },
      });
      return z.NEVER;
    }
    if (parsed < min || parsed > max) {
      ctx.addIssue({
        code: 'custom',
        message: `must be between ${min} and ${max}`,
        params: { stripe: 'parameter_invalid_integer' },
      });
      return z.NEVER;
    }
    return parsed;
  });

/** A decimal string with up to 12 fraction digits (Stripe's `*_decimal` fields). */
export const decimal = () =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const text = String(value).trim();
    if (!/^-?\d+(\.\d{1,12})?$/.test(text)) {
      ctx.addIssue({
        code: 'custom',
        message: 'Invalid decimal',
        params: { stripe: 'parameter_invalid_string' },
      });
      return z.NEVER;
    }
    return text;
  });

export const bool = () =>
  z.union([z.boolean(), z.enum(['true', 'false'])]).transform((value) => value === true || value === 'true');

export const str = (max = 5000) => z.string().max(max);

/** `metadata[key]=value`; an empty value deletes that key; `metadata=` (empty) clears all. */
export const metadata = () =>
  z.union([z.literal(''), z.record(z.string().max(40), z.string().max(500))]).optional();

/** expand[]=a&expand[]=b, or expand[0]=a. */
export const expand = () => z.array(z.string().max(200)).max(20).optional();

/** Emptyable fields: `field=` clears them. */
export const emptyable = <T extends z.ZodType>(schema: T) => z.union([z.literal(''), schema]);

export const listParams = {
  limit: int(1, 100).optional(),
  starting_after: str(255).optional(),
  ending_before: str(255).optional(),
  expand: expand(),
  created: z
    .union([
      int(),
      z
        .object({ gt: int().optional(), gte: int().optional(), lt: int().optional(), lte: int().optional() })
        .strict(),
    ])
    .optional(),
};

/** Validates params against a strict zod object, throwing the StripeError Stripe would return. */
export function parseParams<T extends z.ZodType>(schema: T, params: unknown): z.output<T> {
  const result = schema.safeParse(params ?? {});
  if (result.success) return result.data;
  throw toStripeError(result.error);
}

function toStripeError(error: z.ZodError): StripeError {
  const issue = error.issues[0];
  if (!issue) return parameterInvalid('', 'Invalid request');
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') return parameterUnknown(bracket([...path, issue.keys[0] ?? '']));
  const param = bracket(path);
  if (issue.code === 'invalid_type' && issue.input === undefined) return parameterMissing(param);
  if (issue.code === 'invalid_union' && issue.input === undefined) return parameterMissing(param);
  if (issue.code === 'invalid_value') {
    const allowed = 'values' in issue ? (issue.values as unknown[]).map(String).join(', ') : '';
    return parameterInvalid(param, `Invalid ${param}: must be one of ${allowed}`, 'parameter_invalid_string');
  }
  const stripeCode =
    issue.code === 'custom' && typeof issue.params?.stripe === 'string'
      ? issue.params.stripe
      : 'parameter_invalid_string';
  return parameterInvalid(param, `Invalid ${param}: ${issue.message}`, stripeCode);
}

/** ['lines', '0', 'price'] → `lines[0][price]`, the way Stripe names nested parameters. */
export function bracket(path: readonly string[]): string {
  const [head = '', ...rest] = path;
  return head + rest.map((part) => `[${part}]`).join('');
}

/** Applies metadata updates Stripe's way: merge, '' deletes a key, '' for the whole field clears it. */
export function mergeMetadata(
  current: Record<string, string>,
  update: '' | Record<string, string> | undefined,
): Record<string, string> {
  if (update === undefined) return current;
  if (update === '') return {};
  const next = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}
