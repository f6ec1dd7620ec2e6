import Stripe from 'stripe';
import { backoffDelay } from '../../../jobs/backoff.js';
import { PermanentJobError, RetryableJobError, RetryAfterError } from '../../../jobs/errors.js';
import type { Job } from '../../../jobs/job.js';
import type { Db } from '../../../store/db.js';
import {
  type Connection,
  getLiveConnection,
  recordNeedsReauth,
} from '../../../store/repositories/integration-connections.js';
import { type AccountAccess, accountAccess, stripeErrorMessage } from '../client.js';
import type { StripeIntegration } from '../settings.js';
import { bumpKeyGeneration, keyGeneration } from './store.js';

export interface StripeSyncDeps {
  readonly db: Db;
  readonly stripe: StripeIntegration;
}

/** Everything one sync job needs: the tenant's live connection and an SDK client acting as its account. */
export interface SyncContext {
  readonly db: Db;
  readonly tenantId: string;
  readonly job: Job;
  readonly connection: Connection;
  /** The Stripe account (acct_…) every object of this tenant lives in. */
  readonly account: string;
  readonly access: AccountAccess;
  /** A previous attempt of this job ran: Stripe may hold objects it created that we never recorded. */
  readonly retrying: boolean;
}

/** A 429 without Retry-After waits this long before the next attempt, doubling per attempt. */
const RATE_LIMIT_BACKOFF = { baseMs: 500, maxMs: 10_000, jitter: 0.5 } as const;

export async function openSyncContext(deps: StripeSyncDeps, job: Job): Promise<SyncContext> {
  if (job.tenantId === null) throw new PermanentJobError('Stripe sync jobs belong to a tenant');
  const connection = await getLiveConnection(deps.db, job.tenantId, 'stripe');
  if (!connection) throw new PermanentJobError('Stripe is not connected for this business');
  if (connection.status === 'needs_reauth') {
    throw new PermanentJobError(
      `The Stripe connection needs attention (${connection.lastError ?? 'credentials refused'}); connect Stripe again`,
    );
  }
  let access: AccountAccess;
  try {
    access = accountAccess(deps.stripe, connection);
  } catch (error) {
    throw new PermanentJobError(`Stripe credentials cannot be used: ${stripeErrorMessage(error)}`);
  }
  return {
    db: deps.db,
    tenantId: job.tenantId,
    job,
    connection,
    account: connection.externalAccountId,
    access,
    retrying: job.attempts > 1,
  };
}

/**
 * Runs one Stripe request. POSTs pass `key`: the idempotency key derived from our ids (plus the
 * generation suffix once Stripe answered that key with a 5xx, see 0005_stripe_sync.ts). Stripe's errors
 * become the queue's: 429 → RetryAfterError; 5xx, network errors, timeouts and key conflicts →
 * retryable (same key next time, unless burnt by a 5xx); 401/403 → the connection needs attention and
 * the job fails permanently; any other 4xx → permanent, with Stripe's message.
 */
export async function call<T>(
  ctx: SyncContext,
  what: string,
  key: string | undefined,
  request: (options: Stripe.RequestOptions) => Promise<T>,
): Promise<T> {
  let idempotencyKey: string | undefined;
  if (key !== undefined) {
    const generation = await keyGeneration(ctx.db, ctx.tenantId, key);
    idempotencyKey = generation === 0 ? key : `${key}-g${generation}`;
  }
  const options = { ...ctx.access.options, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) };
  // A 429 is answered before Stripe does anything: wait and repeat the same call a few times here,
  // so an attempt does not lose the calls it already made (and a storm cannot starve a long job).
  for (let inline = 0; ; inline += 1) {
    try {
      return await request(options);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeRateLimitError && inline < INLINE_RATE_LIMIT_RETRIES) {
        await sleep(inlineDelay(inline, error));
        continue;
      }
      throw await translate(ctx, what, key, error);
    }
  }
}

const INLINE_RATE_LIMIT_RETRIES = 4;

function inlineDelay(inline: number, error: Stripe.errors.StripeError): number {
  const header = error.headers?.['retry-after'];
  const seconds = header === undefined ? Number.NaN : Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(5_000, Math.ceil(seconds * 1000));
  return backoffDelay(inline + 1, { baseMs: 250, maxMs: 2_000, jitter: 0.5 });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function translate(ctx: SyncContext, what: string, key: string | undefined, error: unknown) {
  const message = `Stripe refused to ${what}: ${stripeErrorMessage(error)}`;
  if (!(error instanceof Stripe.errors.StripeError)) {
    return new RetryableJobError(`Could not ${what}: ${stripeErrorMessage(error)}`);
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) {
    return new RetryAfterError(`Stripe rate limit while trying to ${what}`, retryAfterMs(ctx.job, error));
  }
  if (
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError
  ) {
    await recordNeedsReauth(ctx.db, ctx.connection, stripeErrorMessage(error));
    return new PermanentJobError(
      `Stripe refused our credentials while trying to ${what} (${stripeErrorMessage(error)}); ` +
        'the Stripe connection needs attention: connect Stripe again',
    );
  }
  const status = error.statusCode;
  if (status !== undefined && status >= 500 && key !== undefined) {
    // Stripe keeps this answer under the key: the next attempt must use a fresh one.
    await bumpKeyGeneration(ctx.db, ctx.tenantId, key);
  }
  if (
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeConnectionError ||
    // The same key with other parameters, or still in flight: reconcile on the next attempt.
    error instanceof Stripe.errors.StripeIdempotencyError ||
    error.code === 'idempotency_key_in_use' ||
    error.code === 'lock_timeout' ||
    status === undefined ||
    status === 409 ||
    status >= 500
  ) {
    return new RetryableJobError(
      `Stripe was unavailable while trying to ${what}: ${stripeErrorMessage(error)}`,
    );
  }
  return new PermanentJobError(message);
}

function retryAfterMs(job: Job, error: Stripe.errors.StripeError): number {
  const header = error.headers?.['retry-after'];
  const seconds = header === undefined ? Number.NaN : Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  return backoffDelay(job.attempts, RATE_LIMIT_BACKOFF);
}

/** `lb-<tenant>-<id>-<step>`: idempotency keys derived from our own ids only. */
export function keyFor(ctx: Pick<SyncContext, 'tenantId'>, ...parts: readonly (string | number)[]): string {
  return ['lb', ctx.tenantId, ...parts].join('-');
}

/** Metadata every object we create carries, so a lookup can tell ours from anyone else's. */
export function ourMetadata(ctx: Pick<SyncContext, 'tenantId'>, extra: Record<string, string>) {
  return { ledgerbridge_tenant_id: ctx.tenantId, ...extra };
}
