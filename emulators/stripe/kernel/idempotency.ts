import { createHash } from 'node:crypto';
import { idempotencyError, invalidRequest } from './errors.js';

export interface Stored {
  readonly fingerprint: string;
  readonly status: number;
  readonly body: unknown;
  readonly storedAtMs: number;
}

/** Stripe keeps keys at least 24 hours; after that a key may be reused for a new request. */
const RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * `Idempotency-Key` on POST: the first response (a 500 included) is stored and replayed for the same
 * key and parameters; other parameters under the same key are an `idempotency_error`; a request
 * still running under the key answers 409. Validation failures are not stored, as in Stripe.
 */
export class IdempotencyStore {
  private readonly stored = new Map<string, Stored>();
  private readonly inFlight = new Set<string>();

  static fingerprint(method: string, path: string, params: unknown): string {
    return createHash('sha256')
      .update(`${method} ${path} ${canonical(params)}`)
      .digest('hex');
  }

  /** A replay, or undefined when the request should run (and is now marked in flight). */
  begin(scope: string, key: string, fingerprint: string, nowMs: number): Stored | undefined {
    if (key.length > 255) {
      throw invalidRequest('Idempotency keys must be at most 255 characters.', { param: 'Idempotency-Key' });
    }
    const id = `${scope}:${key}`;
    const previous = this.stored.get(id);
    if (previous && nowMs - previous.storedAtMs < RETENTION_MS) {
      if (previous.fingerprint !== fingerprint) throw idempotencyError(key);
      return previous;
    }
    if (this.inFlight.has(id)) {
      throw invalidRequest(
        'There is currently another in-progress request using this Stripe token (probably the same idempotency key). Please retry in a few seconds.',
        { code: 'idempotency_key_in_use', status: 409 },
      );
    }
    this.inFlight.add(id);
    return undefined;
  }

  /**
   * The stored responses still within retention. Requests in flight are left out: they do not
   * survive a restart, and their keys become usable again, as after a failed request.
   */
  records(nowMs: number): IdempotencyRecord[] {
    const out: IdempotencyRecord[] = [];
    for (const [id, stored] of this.stored) {
      if (nowMs - stored.storedAtMs < RETENTION_MS) out.push({ id, ...stored });
    }
    return out;
  }

  load(records: readonly IdempotencyRecord[]): void {
    for (const { id, ...stored } of records) this.stored.set(id, stored);
  }

  finish(
    scope: string,
    key: string,
    result: { fingerprint: string; status: number; body: unknown } | undefined,
    nowMs: number,
  ) {
    const id = `${scope}:${key}`;
    this.inFlight.delete(id);
    if (result) this.stored.set(id, { ...result, storedAtMs: nowMs });
  }
}

/** One stored response, as a snapshot keeps it: `id` is the store's `<account>:<key>`. */
export interface IdempotencyRecord extends Stored {
  readonly id: string;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
