import Stripe from 'stripe';
import { PermanentJobError, RetryableJobError, RetryAfterError } from '../../../jobs/errors.js';
import type { Db } from '../../../store/db.js';
import { type Connection, getLiveConnection } from '../../../store/repositories/integration-connections.js';
import { type AccountAccess, accountAccess, classifyStripeError, stripeErrorMessage } from '../client.js';
import type { StripeIntegration } from '../settings.js';

/**
 * What inbound handlers read from Stripe, before their transaction opens: a slow Stripe must never
 * hold a lock (or, on PGlite, the one backend) while we wait for it.
 */
export interface InboundDeps {
  readonly db: Db;
  /** Absent only in workers built without Stripe settings: events that need a Stripe read then wait. */
  readonly stripe?: StripeIntegration | undefined;
}

export interface InboundAccess extends AccountAccess {
  readonly connection: Connection;
}

/** An SDK client acting as the tenant's connected account, or undefined when none is live. */
export async function openAccess(deps: InboundDeps, tenantId: string): Promise<InboundAccess | undefined> {
  const connection = await getLiveConnection(deps.db, tenantId, 'stripe');
  if (!connection) return undefined;
  if (!deps.stripe) {
    throw new RetryableJobError(
      'this worker was started without the Stripe integration settings; it cannot read from Stripe',
    );
  }
  try {
    return { ...accountAccess(deps.stripe, connection), connection };
  } catch (error) {
    throw new PermanentJobError(`Stripe credentials cannot be used: ${stripeErrorMessage(error)}`);
  }
}

/** A 429 without Retry-After waits this long before the next attempt. */
const RATE_LIMIT_WAIT_MS = 1_000;

/**
 * One Stripe read. Stripe's failures become the queue's: 429 → retry after its Retry-After; network
 * errors, timeouts and 5xx → retry with backoff; refused credentials or any other 4xx → permanent,
 * with Stripe's message (redacted).
 */
export async function read<T>(
  access: InboundAccess,
  what: string,
  request: (options: Stripe.RequestOptions) => Promise<T>,
): Promise<T> {
  try {
    return await request(access.options);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeRateLimitError) {
      const header = error.headers?.['retry-after'];
      const seconds = header === undefined ? Number.NaN : Number(header);
      throw new RetryAfterError(
        `Stripe rate limit while trying to ${what}`,
        Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : RATE_LIMIT_WAIT_MS,
      );
    }
    const message = `Could not ${what}: ${stripeErrorMessage(error)}`;
    if (classifyStripeError(error) === 'unavailable') throw new RetryableJobError(message);
    throw new PermanentJobError(message);
  }
}

/** Every item of a Stripe list, oldest first (Stripe lists newest first). */
export async function readAll<T>(
  access: InboundAccess,
  what: string,
  list: (options: Stripe.RequestOptions) => Stripe.ApiListPromise<T>,
): Promise<T[]> {
  const items = await read(access, what, (options) => list(options).autoPagingToArray({ limit: 10_000 }));
  return items.reverse();
}
