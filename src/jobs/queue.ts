import type { Queryable } from '../store/db.js';
import { newId } from '../store/ids.js';
import { fromRow, JOB_COLUMNS, type Job, type JobRow } from './job.js';

export type { Job } from './job.js';
export type { JobState } from './states.js';

export interface EnqueueInput {
  /** null for system jobs; tenant jobs are only visible to their tenant (src/jobs/repository.ts). */
  tenantId: string | null;
  type: string;
  /** Stored as jsonb: plain JSON data only, and never secrets (operators can read payloads). */
  payload: unknown;
  /**
   * At most one job per (tenant, dedupeKey), forever: enqueueing a key that was used before returns
   * the existing job, whatever its state and even if it finished long ago. Integrations that must
   * act exactly once (push invoice inv_1 to QuickBooks) rely on that. Prefix keys with the job type.
   */
  dedupeKey?: string;
  /** Jobs sharing an ordering key (e.g. `invoice:inv_123`) run one at a time, in enqueue order. */
  orderingKey?: string;
  /** Jobs sharing a concurrency key obey the limits set with setQueueLimit (none if unset). */
  concurrencyKey?: string;
  runAt?: Date;
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 12;

// Namespace for advisory locks taken by enqueue (the two-int form, apart from migrate's one-bigint lock).
// Exported for writers that insert jobs in their own statement (the Stripe webhook inbox).
export const ORDERING_LOCK_NAMESPACE = 7_340_212;

/**
 * Adds a job inside the caller's transaction, so the job exists if and only if the change that
 * caused it commits. Pass a transaction (`db.transaction(tx => ...)`), not the Db itself: the
 * ordering guarantee below needs a lock held until commit.
 */
export async function enqueue(tx: Queryable, input: EnqueueInput): Promise<{ job: Job; created: boolean }> {
  const { payload, maxAttempts } = checked(input);

  if (input.orderingKey !== undefined) {
    // Same-key enqueuers wait for each other's commit, so seq (taken at insert) follows commit
    // order and a claimer can never see a later job of the key before an earlier one. Transactions
    // enqueueing several ordering keys should do so in a consistent order to avoid deadlocks.
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      ORDERING_LOCK_NAMESPACE,
      input.orderingKey,
    ]);
  }
  const inserted = await tx.query<JobRow>(
    `INSERT INTO jobs (id, tenant_id, type, payload, state, max_attempts, run_at, dedupe_key, ordering_key,
                       concurrency_key)
     VALUES ($1, $2, $3, $4::jsonb, 'queued', $5, COALESCE($6::timestamptz, statement_timestamp()), $7, $8, $9)
     ON CONFLICT ((COALESCE(tenant_id, '')), dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
     RETURNING ${JOB_COLUMNS}`,
    [
      newId('job'),
      input.tenantId,
      input.type,
      payload,
      maxAttempts,
      input.runAt ?? null,
      input.dedupeKey ?? null,
      input.orderingKey ?? null,
      input.concurrencyKey ?? null,
    ],
  );
  const row = inserted[0];
  if (row) return { job: fromRow(row), created: true };

  // The key was taken. A concurrent enqueuer's insert made ours wait until it committed, so this
  // later statement (a fresh READ COMMITTED snapshot) sees its job.
  const existing = await tx.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs WHERE COALESCE(tenant_id, '') = COALESCE($1, '') AND dedupe_key = $2`,
    [input.tenantId, input.dedupeKey],
  );
  const found = existing[0];
  if (!found) throw new Error(`job with dedupe key ${input.dedupeKey} conflicted but cannot be read`);
  return { job: fromRow(found), created: false };
}

/**
 * Adds many jobs in one round trip, inside the caller's transaction (the bulk form of `enqueue`, for
 * ingest paths that commit many changes at once). Ordering keys are locked in sorted order, so two
 * bulk enqueuers never deadlock on each other. Jobs whose dedupe key exists already are skipped;
 * the created jobs are returned.
 */
export async function enqueueMany(tx: Queryable, inputs: readonly EnqueueInput[]): Promise<Job[]> {
  if (inputs.length === 0) return [];
  const rows = inputs.map((input) => ({ input, ...checked(input) }));
  const orderingKeys = [
    ...new Set(inputs.flatMap((input) => (input.orderingKey ? [input.orderingKey] : []))),
  ].sort();
  // One round trip: the ordering-key locks are taken (in sorted order) by a CTE that the insert
  // must fully read before producing a row, so every job gets its seq only once its key is locked.
  const params: unknown[] = [ORDERING_LOCK_NAMESPACE, orderingKeys];
  const values = rows.map(({ input, payload, maxAttempts }, index) => {
    const base = params.length;
    params.push(
      newId('job'),
      input.tenantId,
      input.type,
      payload,
      maxAttempts,
      input.runAt ?? null,
      input.dedupeKey ?? null,
      input.orderingKey ?? null,
      input.concurrencyKey ?? null,
    );
    const p = (offset: number) => `$${base + offset}`;
    return `(${index}, ${p(1)}::text, ${p(2)}::text, ${p(3)}::text, ${p(4)}::jsonb, ${p(5)}::int,
      COALESCE(${p(6)}::timestamptz, statement_timestamp()), ${p(7)}::text, ${p(8)}::text, ${p(9)}::text)`;
  });
  const inserted = await tx.query<JobRow>(
    `WITH ordering_locks AS (
       SELECT pg_advisory_xact_lock($1, hashtext(key)) FROM unnest($2::text[]) AS key ORDER BY key
     )
     INSERT INTO jobs (id, tenant_id, type, payload, state, max_attempts, run_at, dedupe_key, ordering_key,
                       concurrency_key)
     SELECT v.id, v.tenant_id, v.type, v.payload, 'queued', v.max_attempts, v.run_at, v.dedupe_key,
            v.ordering_key, v.concurrency_key
     FROM (VALUES ${values.join(', ')})
       AS v (ord, id, tenant_id, type, payload, max_attempts, run_at, dedupe_key, ordering_key, concurrency_key)
     CROSS JOIN (SELECT count(*) FROM ordering_locks) AS locked
     ORDER BY v.ord
     ON CONFLICT ((COALESCE(tenant_id, '')), dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
     RETURNING ${JOB_COLUMNS}`,
    params,
  );
  return inserted.map(fromRow);
}

/** Refuses input that could never run, and serializes the payload once. */
function checked(input: EnqueueInput): { payload: string; maxAttempts: number } {
  const maxAttempts = input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (input.type.trim() === '') throw new RangeError('job type must not be empty');
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  for (const key of ['dedupeKey', 'orderingKey', 'concurrencyKey'] as const) {
    if (input[key] === '') throw new RangeError(`${key} must not be empty`);
  }
  if (input.runAt && Number.isNaN(input.runAt.getTime())) throw new RangeError('runAt is not a valid date');
  const payload = JSON.stringify(input.payload ?? null);
  if (payload === undefined) throw new TypeError('job payload must be JSON-serializable');
  return { payload, maxAttempts };
}

export interface QueueLimit {
  /** Jobs of the key running at once, across every worker process. */
  maxConcurrent?: number;
  /** Jobs of the key started in any sliding 60-second window, across every worker process. */
  perMinute?: number;
}

/**
 * Sets the limits of a concurrency key (e.g. `qbo:realm123`). Omitting both removes them, and a
 * key without limits is unlimited. Takes effect at the next claim; running jobs are not stopped.
 */
export async function setQueueLimit(db: Queryable, key: string, limit: QueueLimit): Promise<void> {
  if (key === '') throw new RangeError('queue limit key must not be empty');
  for (const [name, value] of Object.entries(limit)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limit.maxConcurrent === undefined && limit.perMinute === undefined) {
    await db.query('DELETE FROM job_queue_limits WHERE key = $1', [key]);
    return;
  }
  await db.query(
    `INSERT INTO job_queue_limits (key, max_concurrent, per_minute) VALUES ($1, $2, $3)
     ON CONFLICT (key) DO UPDATE
       SET max_concurrent = EXCLUDED.max_concurrent, per_minute = EXCLUDED.per_minute, updated_at = now()`,
    [key, limit.maxConcurrent ?? null, limit.perMinute ?? null],
  );
}
