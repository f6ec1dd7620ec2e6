import type { IdempotencyRecord } from './kernel/idempotency.js';
import { AccountState, type ApiKey, EmulatorState, type StripeObject } from './kernel/state.js';
import { oauthGrants, type OAuthGrantsSnapshot } from './oauth/grants.js';
import { type BookSnapshot, bookSnapshot, hostedTokens, restoreBook } from './resources/billing/env.js';
import { deletedCustomerIds, restoreDeletedCustomers } from './resources/core/customers.js';
import { endpointInternals, setEndpointInternals, type WebhookEndpoint } from './webhooks/endpoints.js';

export const SNAPSHOT_VERSION = 1;

/** One account: its objects in insertion order (lists break `created` ties by it) and side books. */
export interface AccountSnapshot {
  readonly id: string;
  readonly created: number;
  readonly displayName: string;
  /** The platform a connected account authorized; null for platforms and deauthorized accounts. */
  readonly connectedTo: string | null;
  readonly objects: StripeObject[];
  readonly eventIds: string[];
  /** Invoice number sequence, invoice line order, `days_until_due`, payout sweeps. */
  readonly book: BookSnapshot;
  readonly deletedCustomerIds: string[];
  /** What Stripe never renders again after creating an endpoint: its secret and `connect`. */
  readonly webhookEndpoints: { endpointId: string; secret: string; connect: boolean }[];
}

export interface StripeEmulatorSnapshotData {
  readonly platformId: string;
  /** How far the emulator clock runs ahead of the wall clock (admin clock advances), in ms. */
  readonly clockOffsetMs: number;
  readonly accounts: AccountSnapshot[];
  /** Every API key: platform secret keys and the OAuth access tokens of connected accounts. */
  readonly keys: ApiKey[];
  readonly idempotency: IdempotencyRecord[];
  /** Pending Authorize pages, unredeemed codes, refresh tokens. */
  readonly oauth: OAuthGrantsSnapshot;
  readonly hostedInvoiceTokens: { token: string; accountId: string; invoiceId: string }[];
}

/** A location inside `data`: keys and array indexes from its root. */
export type SnapshotPath = (string | number)[];

/**
 * The emulator's whole state as plain JSON. Objects that the running emulator shares between
 * places (an idempotent reply that is the stored object itself, a price inside a subscription
 * item) appear once; `shared` says where else each one goes, so a restored emulator keeps them
 * one object and later changes show in every place, as they would have without the restart.
 *
 * Not kept: webhook deliveries in flight or waiting to retry (they are dropped; their events keep
 * the `pending_webhooks` count they had), requests in flight under an idempotency key, the
 * delivery log, and the run-time switches (rate limit, faults, delivery mode, retry schedule),
 * which come from the start options and the admin API.
 */
export interface StripeEmulatorSnapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  /** When it was taken (ISO 8601), for people reading the file. */
  readonly savedAt: string;
  readonly secretKey: string;
  readonly clientId: string;
  readonly data: StripeEmulatorSnapshotData;
  readonly shared: [at: SnapshotPath, sameAs: SnapshotPath][];
}

export function takeSnapshot(
  state: EmulatorState,
  ids: { secretKey: string; clientId: string },
): StripeEmulatorSnapshot {
  const data: StripeEmulatorSnapshotData = {
    platformId: state.platform.id,
    clockOffsetMs: state.clock.offset(),
    accounts: [...state.accounts.values()].map((account) => ({
      id: account.id,
      created: account.created,
      displayName: account.displayName,
      connectedTo: account.connectedTo ?? null,
      objects: [...account.objects.values()],
      eventIds: account.eventIds,
      book: bookSnapshot(account),
      deletedCustomerIds: deletedCustomerIds(account),
      webhookEndpoints: account.all<WebhookEndpoint>('webhook_endpoint').flatMap((endpoint) => {
        const internals = endpointInternals(endpoint);
        return internals ? [{ endpointId: endpoint.id, ...internals }] : [];
      }),
    })),
    keys: [...state.keys.values()],
    idempotency: state.idempotency.records(state.clock.nowMs()),
    oauth: oauthGrants(state).snapshot(),
    hostedInvoiceTokens: [...hostedTokens(state)].map(([token, target]) => ({ token, ...target })),
  };
  // A deep copy: the caller may serialize it later, while the emulator keeps changing.
  const { value, shared } = detach(data);
  return {
    version: SNAPSHOT_VERSION,
    savedAt: new Date().toISOString(),
    secretKey: ids.secretKey,
    clientId: ids.clientId,
    data: value as StripeEmulatorSnapshotData,
    shared,
  };
}

/** A state to run from the snapshot; `secretKey` is (also) made a platform secret key. */
export function restoreState(snapshot: StripeEmulatorSnapshot, secretKey: string): EmulatorState {
  const version = (snapshot as { version?: unknown } | null)?.version;
  if (version !== SNAPSHOT_VERSION) {
    throw new Error(
      `Cannot restore a Stripe emulator snapshot of version ${JSON.stringify(version)}: this emulator reads version ${SNAPSHOT_VERSION}.`,
    );
  }
  // A copy, so that the caller's value never becomes live state (it may restore it twice).
  const data = relink(structuredClone(snapshot.data), snapshot.shared);
  const accounts = data.accounts.map((saved) => {
    const account = new AccountState(saved.id, saved.created, saved.displayName);
    account.connectedTo = saved.connectedTo ?? undefined;
    for (const object of saved.objects) account.insert(object);
    for (const id of saved.eventIds) account.eventIds.push(id);
    return { account, saved };
  });
  const platform = accounts.find(({ account }) => account.id === data.platformId)?.account;
  if (!platform) throw new Error(`Stripe emulator snapshot: no platform account ${data.platformId}.`);
  const state = new EmulatorState({ secretKey, platform });
  for (const { account, saved } of accounts) {
    state.accounts.set(account.id, account);
    restoreBook(account, saved.book);
    restoreDeletedCustomers(account, saved.deletedCustomerIds);
    for (const { endpointId, secret, connect } of saved.webhookEndpoints) {
      const endpoint = account.find<WebhookEndpoint>('webhook_endpoint', endpointId);
      if (endpoint) setEndpointInternals(endpoint, { secret, connect });
    }
  }
  for (const key of data.keys) state.keys.set(key.key, key);
  state.clock.restoreOffset(data.clockOffsetMs);
  state.idempotency.load(data.idempotency);
  oauthGrants(state).load(data.oauth);
  const tokens = hostedTokens(state);
  for (const { token, accountId, invoiceId } of data.hostedInvoiceTokens) {
    tokens.set(token, { accountId, invoiceId });
  }
  return state;
}

/** A JSON-safe deep copy that lists every second sighting of an object instead of copying it. */
function detach(root: unknown): { value: unknown; shared: [SnapshotPath, SnapshotPath][] } {
  const seen = new Map<object, SnapshotPath>();
  const shared: [SnapshotPath, SnapshotPath][] = [];
  const copy = (value: unknown, path: SnapshotPath): unknown => {
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'number' && !Number.isFinite(value)) fail(`the number ${value}`, path);
      if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
        fail(`a ${typeof value}`, path);
      }
      return value;
    }
    const first = seen.get(value);
    if (first) {
      shared.push([path, first]);
      return null;
    }
    seen.set(value, path);
    if (Array.isArray(value)) return value.map((item, index) => copy(item, [...path, index]));
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) {
      fail(`a ${(value as { constructor?: { name?: string } }).constructor?.name ?? 'class'} instance`, path);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      put(out, key, copy(item, [...path, key]));
    }
    return out;
  };
  return { value: copy(root, []), shared };
}

function relink(
  data: StripeEmulatorSnapshotData,
  shared: readonly [SnapshotPath, SnapshotPath][],
): StripeEmulatorSnapshotData {
  const at = (path: SnapshotPath): unknown => {
    let node: unknown = data;
    for (const step of path) {
      if (node === null || typeof node !== 'object' || !Object.hasOwn(node, step)) {
        throw new Error(`Stripe emulator snapshot: nothing at ${path.join('.')}.`);
      }
      node = (node as Record<string | number, unknown>)[step];
    }
    return node;
  };
  for (const [where, sameAs] of shared) {
    const parent = at(where.slice(0, -1)) as Record<string | number, unknown>;
    const key = where[where.length - 1];
    if (key === undefined) throw new Error('Stripe emulator snapshot: a shared entry names the root.');
    put(parent, key, at(sameAs));
  }
  return data;
}

/** Defined, not assigned: a `__proto__` metadata key must stay a plain key. */
function put(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function fail(what: string, path: SnapshotPath): never {
  throw new Error(`Cannot snapshot the Stripe emulator: ${what} at ${path.join('.')}.`);
}
