import type Stripe from 'stripe';
import { emitEvent } from '../../kernel/events.js';
import type { RequestContext } from '../../kernel/router.js';
import type { AccountState, EmulatorState, StripeObject } from '../../kernel/state.js';

/**
 * What billing logic needs to act: an account, the time and a way to emit events. A request
 * context is one; the hosted invoice page and the emulator clock build their own, since Stripe
 * also changes objects outside API requests (payments by customers, renewals, payouts).
 */
export type Env = Pick<RequestContext, 'state' | 'account' | 'now' | 'emit'>;

export function backgroundEnv(state: EmulatorState, account: AccountState): Env {
  const info = { id: null, idempotencyKey: null };
  return {
    state,
    account,
    now: state.clock.now(),
    emit: (type, object, previous) => emitEvent(state, account, type, object, info, previous),
  };
}

/**
 * The SDK's types with its `Decimal` class replaced by the decimal string that travels on the wire
 * (the SDK turns those strings into `Decimal` when it parses a response).
 */
export type Wire<T> = T extends Stripe.Decimal
  ? string
  : T extends string | number | boolean | bigint | null | undefined
    ? T
    : T extends readonly (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

/** A stored object typed as the SDK renders it. */
export type Stored<T> = Wire<T> & StripeObject;

/**
 * Billing bookkeeping that is not part of any Stripe object: the invoice number sequence, the
 * order of each invoice's lines, and the hosted-page tokens (per emulator, since a token names
 * its account).
 */
export interface Book {
  readonly prefix: string;
  nextNumber: number;
  readonly lineIds: Map<string, string[]>;
  /** `days_until_due` is a parameter, not an invoice field; the due date follows from it at finalization. */
  readonly daysUntilDue: Map<string, number>;
  /** Which automatic payout swept each balance transaction (`?payout=` reconciliation). */
  readonly payoutOfTxn: Map<string, string>;
}
const books = new WeakMap<AccountState, Book>();
const tokens = new WeakMap<EmulatorState, Map<string, { accountId: string; invoiceId: string }>>();

export function book(account: AccountState): Book {
  let found = books.get(account);
  if (!found) {
    found = {
      prefix: numberPrefix(account.id),
      nextNumber: 1,
      lineIds: new Map(),
      daysUntilDue: new Map(),
      payoutOfTxn: new Map(),
    };
    books.set(account, found);
  }
  return found;
}

/** The account's bookkeeping as plain data, for a snapshot. */
export interface BookSnapshot {
  readonly prefix: string;
  readonly nextNumber: number;
  readonly lineIds: [invoiceId: string, lineIds: string[]][];
  readonly daysUntilDue: [invoiceId: string, days: number][];
  readonly payoutOfTxn: [txnId: string, payoutId: string][];
}

export function bookSnapshot(account: AccountState): BookSnapshot {
  const { prefix, nextNumber, lineIds, daysUntilDue, payoutOfTxn } = book(account);
  return {
    prefix,
    nextNumber,
    lineIds: [...lineIds],
    daysUntilDue: [...daysUntilDue],
    payoutOfTxn: [...payoutOfTxn],
  };
}

export function restoreBook(account: AccountState, saved: BookSnapshot): void {
  books.set(account, {
    prefix: saved.prefix,
    nextNumber: saved.nextNumber,
    lineIds: new Map(saved.lineIds),
    daysUntilDue: new Map(saved.daysUntilDue),
    payoutOfTxn: new Map(saved.payoutOfTxn),
  });
}

/** Stripe's account-level invoice prefix: 8 letters and digits derived from the account. */
function numberPrefix(accountId: string): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let hash = 2166136261;
  let out = '';
  for (let i = 0; i < 8; i++) {
    for (const char of `${accountId}:${i}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
    out += alphabet.charAt(hash % alphabet.length);
  }
  return out;
}

export function hostedTokens(state: EmulatorState): Map<string, { accountId: string; invoiceId: string }> {
  let found = tokens.get(state);
  if (!found) {
    found = new Map();
    tokens.set(state, found);
  }
  return found;
}

/** An address with every part unknown, as Stripe renders an empty one. */
export const EMPTY_ADDRESS: Stripe.Address = {
  city: null,
  country: null,
  line1: null,
  line2: null,
  postal_code: null,
  state: null,
};

/**
 * Applies a change to a stored object and emits `<type>` with Stripe's `previous_attributes`
 * (the old value of every top-level field that changed); no event when nothing changed.
 */
export function update<T extends StripeObject>(env: Env, object: T, type: string, change: (o: T) => void): T {
  const before = structuredClone(object) as Record<string, unknown>;
  change(object);
  const previous: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (JSON.stringify(value) !== JSON.stringify(before[key])) previous[key] = before[key] ?? null;
  }
  if (Object.keys(previous).length > 0) env.emit(type, object, previous);
  return object;
}
