import type Stripe from 'stripe';
import { z } from 'zod';
import {
  type ListObject,
  matchesCreated,
  newestFirst,
  type PageParams,
  paginate,
} from '../../kernel/list.js';
import { str } from '../../kernel/params.js';
import type { RequestContext } from '../../kernel/router.js';
import type { AccountState, StripeObject } from '../../kernel/state.js';

/**
 * The SDK's object interfaces have no index signature, so they are stored as the type intersected
 * with StripeObject: the compiler then checks both Stripe's shape and the kernel's contract.
 */
export type Stored<T> = T & StripeObject;

export function store<T extends { id: string; object: string }>(account: AccountState, object: T): Stored<T> {
  return account.insert(object as Stored<T>);
}

/** Stripe's AddressParam; every line optional, each a plain string. */
export const addressParam = () =>
  z
    .object({
      city: str(200).optional(),
      country: str(2).optional(),
      line1: str(200).optional(),
      line2: str(200).optional(),
      postal_code: str(20).optional(),
      state: str(200).optional(),
    })
    .strict();

type AddressInput = z.output<ReturnType<typeof addressParam>>;

/** An address as Stripe renders it: every line present, null where not given. */
export function renderAddress(input: AddressInput): Stripe.Address {
  return {
    city: textOrNull(input.city),
    country: textOrNull(input.country),
    line1: textOrNull(input.line1),
    line2: textOrNull(input.line2),
    postal_code: textOrNull(input.postal_code),
    state: textOrNull(input.state),
  };
}

/** Stripe reads an empty form value for a nullable text field as "clear it". */
export function textOrNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/**
 * `previous_attributes` of an `*.updated` event: the old value of every top-level field that
 * changed; for nested hashes (metadata, address) only the changed keys, with null for keys that
 * did not exist before, as Stripe reports them.
 */
export function previousAttributes(before: unknown, after: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(before) || !isRecord(after)) return out;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const old = before[key];
    const now = after[key];
    if (JSON.stringify(old) === JSON.stringify(now)) continue;
    out[key] = isRecord(old) && isRecord(now) ? previousAttributes(old, now) : (old ?? null);
  }
  return out;
}

/**
 * Applies an update in place and emits `<type>.updated` with the previous attributes; nothing is
 * emitted when the update changed nothing, as with Stripe.
 */
export function updateWithEvent<T extends StripeObject>(
  context: RequestContext,
  object: T,
  mutate: (object: T) => void,
  touch?: (object: T) => void,
): T {
  const before = structuredClone(object);
  mutate(object);
  if (JSON.stringify(before) === JSON.stringify(object)) return object;
  touch?.(object);
  context.emit(`${object.object}.updated`, object, previousAttributes(before, object));
  return object;
}

/** A list endpoint: the account's objects of one type, newest first, filtered, then paged. */
export function listObjects<T extends StripeObject>(
  account: AccountState,
  type: string,
  params: PageParams & { created?: Parameters<typeof matchesCreated>[1] },
  url: string,
  keep: (object: T) => boolean = () => true,
): ListObject<T> {
  const items = account
    .all<T>(type)
    .filter((item) => matchesCreated(Number(item.created ?? 0), params.created) && keep(item));
  return paginate(newestFirst(items), params, url);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a price's or product's `expand[]` asks for an includable field such as `currency_options`. */
export function wantsInclude(expandParam: unknown, field: string): boolean {
  return Array.isArray(expandParam) && expandParam.some((path) => path === field || path === `data.${field}`);
}
