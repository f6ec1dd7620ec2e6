import type { Db, Queryable } from '../store/db.js';
import { fromRow, type Job, type JobRow, jobColumns } from './job.js';
import { type JobEvent, sourcesOf, targetOf } from './states.js';

/**
 * The SQL of claiming, heartbeating, finishing and reaping leases. Every time is
 * `COALESCE($n, statement_timestamp())`: the database clock, shared by every machine, unless a test
 * injects its own clock (WorkerOptions.now), in which case all comparisons use that one instead.
 */
const at = (param: number) => `COALESCE($${param}::timestamptz, statement_timestamp())`;
const plusMs = (param: number, msParam: number) => `(${at(param)} + $${msParam}::float8 * interval '1 ms')`;
// State guards are inlined as literals (they come from our own table) so that the planner can match
// the partial indexes declared WHERE state = '...'; a bound array parameter would hide that.
const inStates = (event: JobEvent) =>
  `IN (${sourcesOf(event)
    .map((state) => `'${state}'`)
    .join(', ')})`;

interface Candidate extends Record<string, unknown> {
  id: string;
  ordering_key: string | null;
  concurrency_key: string | null;
}

interface KeyUsage extends Record<string, unknown> {
  key: string;
  max_concurrent: number | null;
  per_minute: number | null;
  running: number;
  recent: number;
}

export interface ClaimOptions {
  owner: string;
  limit: number;
  leaseMs: number;
  now: Date | null;
}

/**
 * Claims up to `limit` due jobs in one transaction:
 * 1. Lock candidates FOR UPDATE SKIP LOCKED, so concurrent claimers take disjoint jobs. The
 *    candidate query also leaves out jobs that are not first in their ordering key and keys that
 *    look saturated; that is only a filter against head-of-line blocking, not the guarantee.
 * 2. Lock the limit rows of the candidates' concurrency keys (in key order: no deadlocks), then in
 *    a later statement count running jobs and starts in the last minute. Every claimer of a key
 *    holds that row lock while it marks jobs running, and a READ COMMITTED statement that starts
 *    after the lock was granted sees what the previous holder committed, so the counts are exact.
 * 3. Insert a job_ordering_leases row per ordering key. The primary key makes a second claimer
 *    wait for the first one's commit and then skip, so two jobs of a key can never run at once.
 * 4. Mark the survivors running, count the attempt, and log starts for rate-limited keys.
 */
export async function claimJobs(db: Db, options: ClaimOptions): Promise<Job[]> {
  if (options.limit < 1) return [];
  return db.transaction(async (tx) => {
    const candidates = await tx.query<Candidate>(
      `SELECT j.id, j.ordering_key, j.concurrency_key FROM jobs j
       WHERE j.state ${inStates('claim')} AND j.run_at <= ${at(1)}
         AND (j.ordering_key IS NULL OR NOT EXISTS (
               SELECT 1 FROM jobs p
               WHERE p.ordering_key = j.ordering_key AND p.state IN ('queued', 'running') AND p.seq < j.seq))
         AND (j.concurrency_key IS NULL OR j.concurrency_key NOT IN (
               SELECT l.key FROM job_queue_limits l
               WHERE l.max_concurrent <= (SELECT count(*) FROM jobs r
                                          WHERE r.state = 'running' AND r.concurrency_key = l.key)
                  OR l.per_minute <= (SELECT count(*) FROM job_rate_starts s
                                      WHERE s.key = l.key AND s.started_at > ${at(1)} - interval '1 minute')))
       ORDER BY j.run_at, j.seq
       LIMIT $2
       FOR UPDATE OF j SKIP LOCKED`,
      [options.now, options.limit],
    );
    if (candidates.length === 0) return [];

    const admitted = await admitUnderLimits(tx, candidates, options.now);
    const chosen = await takeOrderingLeases(tx, admitted, options.now);
    if (chosen.length === 0) return [];

    const claimed = await tx.query<JobRow>(
      `UPDATE jobs j
       SET state = $4, attempts = j.attempts + 1, lease_owner = $2, lease_expires_at = ${plusMs(1, 3)},
           updated_at = ${at(1)}
       WHERE j.id = ANY($5::text[]) AND j.state ${inStates('claim')}
       RETURNING ${jobColumns('j')}`,
      [options.now, options.owner, options.leaseMs, targetOf('claim'), chosen.map((c) => c.id)],
    );
    await logRateLimitedStarts(tx, claimed, options.now);
    return claimed.map(fromRow).sort((a, b) => a.runAt.getTime() - b.runAt.getTime());
  });
}

async function admitUnderLimits(
  tx: Queryable,
  candidates: Candidate[],
  now: Date | null,
): Promise<Candidate[]> {
  const keys = [
    ...new Set(candidates.flatMap((c) => (c.concurrency_key === null ? [] : [c.concurrency_key]))),
  ];
  if (keys.length === 0) return candidates;
  keys.sort();
  await tx.query('SELECT key FROM job_queue_limits WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE', [
    keys,
  ]);
  // A separate statement on purpose: its snapshot is taken after the row locks were granted.
  const usage = await tx.query<KeyUsage>(
    `SELECT l.key, l.max_concurrent, l.per_minute,
            (SELECT count(*) FROM jobs r WHERE r.state = 'running' AND r.concurrency_key = l.key) AS running,
            (SELECT count(*) FROM job_rate_starts s
             WHERE s.key = l.key AND s.started_at > ${at(2)} - interval '1 minute') AS recent
     FROM job_queue_limits l WHERE l.key = ANY($1::text[])`,
    [keys, now],
  );
  const allowance = new Map<string, number>();
  for (const row of usage) {
    const byConcurrency = row.max_concurrent === null ? Infinity : row.max_concurrent - Number(row.running);
    const byRate = row.per_minute === null ? Infinity : row.per_minute - Number(row.recent);
    allowance.set(row.key, Math.min(byConcurrency, byRate));
  }
  return candidates.filter((candidate) => {
    if (candidate.concurrency_key === null) return true;
    const left = allowance.get(candidate.concurrency_key);
    if (left === undefined) return true; // no limit row: the key is unlimited
    if (left <= 0) return false;
    allowance.set(candidate.concurrency_key, left - 1);
    return true;
  });
}

async function takeOrderingLeases(
  tx: Queryable,
  admitted: Candidate[],
  now: Date | null,
): Promise<Candidate[]> {
  const ordered = admitted
    .flatMap((c) => (c.ordering_key === null ? [] : [{ key: c.ordering_key, id: c.id }]))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (ordered.length === 0) return admitted;
  // Inserted in key order so two claimers waiting on each other's keys cannot deadlock.
  const leased = await tx.query<{ job_id: string }>(
    `INSERT INTO job_ordering_leases (ordering_key, job_id, acquired_at)
     SELECT t.key, t.id, ${at(3)} FROM unnest($1::text[], $2::text[]) AS t(key, id) ORDER BY t.key
     ON CONFLICT (ordering_key) DO NOTHING
     RETURNING job_id`,
    [ordered.map((o) => o.key), ordered.map((o) => o.id), now],
  );
  const got = new Set(leased.map((row) => row.job_id));
  return admitted.filter((c) => c.ordering_key === null || got.has(c.id));
}

async function logRateLimitedStarts(tx: Queryable, claimed: JobRow[], now: Date | null): Promise<void> {
  const keyed = claimed.filter((row) => row.concurrency_key !== null);
  if (keyed.length === 0) return;
  await tx.query(
    `WITH limited AS (
       SELECT t.key, t.id FROM unnest($1::text[], $2::text[]) AS t(key, id)
       JOIN job_queue_limits l ON l.key = t.key AND l.per_minute IS NOT NULL
     ), logged AS (
       INSERT INTO job_rate_starts (key, started_at, job_id) SELECT key, ${at(3)}, id FROM limited
     )
     DELETE FROM job_rate_starts
     WHERE key IN (SELECT key FROM limited) AND started_at <= ${at(3)} - interval '1 minute'`,
    [keyed.map((row) => row.concurrency_key), keyed.map((row) => row.id), now],
  );
}

/** Extends the leases this owner still holds; returns the ids it no longer holds. */
export async function extendLeases(
  db: Queryable,
  owner: string,
  held: readonly { id: string; attempts: number }[],
  leaseMs: number,
  now: Date | null,
): Promise<string[]> {
  if (held.length === 0) return [];
  const rows = await db.query<{ id: string }>(
    `UPDATE jobs j SET lease_expires_at = ${plusMs(1, 2)}
     FROM unnest($4::text[], $5::int[]) AS h(id, attempts)
     WHERE j.id = h.id AND j.attempts = h.attempts AND j.state = 'running' AND j.lease_owner = $3
     RETURNING j.id`,
    [now, leaseMs, owner, held.map((h) => h.id), held.map((h) => h.attempts)],
  );
  const kept = new Set(rows.map((row) => row.id));
  return held.filter((h) => !kept.has(h.id)).map((h) => h.id);
}

export interface Outcome {
  event: Extract<JobEvent, 'succeed' | 'retry' | 'dead_letter' | 'release'>;
  result?: unknown;
  lastError?: string;
  /** For retry: how long from now before the job may run again. */
  delayMs?: number;
}

/**
 * Moves a job this owner is running to its next state and frees its ordering key, in one
 * statement. Fenced by (lease_owner, attempts): if the lease expired and the job was reaped or
 * claimed again meanwhile, nothing changes and false is returned.
 */
export async function finishJob(
  db: Queryable,
  lease: { id: string; owner: string; attempts: number },
  outcome: Outcome,
  now: Date | null,
): Promise<boolean> {
  const to = targetOf(outcome.event);
  const rows = await db.query<{ id: string }>(
    `WITH moved AS (
       UPDATE jobs SET
         state = $5::text,
         attempts = attempts - CASE WHEN $6::text = 'release' THEN 1 ELSE 0 END,
         run_at = CASE WHEN $5::text = 'queued' THEN ${plusMs(1, 7)} ELSE run_at END,
         last_error = COALESCE($8::text, last_error),
         result = CASE WHEN $5::text = 'succeeded' THEN $9::jsonb ELSE result END,
         finished_at = CASE WHEN $5::text IN ('succeeded', 'dead') THEN ${at(1)} END,
         lease_owner = NULL, lease_expires_at = NULL, updated_at = ${at(1)}
       WHERE id = $2 AND lease_owner = $3 AND attempts = $4 AND state ${inStates(outcome.event)}
       RETURNING id
     ), freed AS (
       DELETE FROM job_ordering_leases l USING moved WHERE l.job_id = moved.id
     )
     SELECT id FROM moved`,
    [
      now,
      lease.id,
      lease.owner,
      lease.attempts,
      to,
      outcome.event,
      outcome.delayMs ?? 0,
      outcome.lastError ?? null,
      outcome.event === 'succeed' ? serializeResult(outcome.result) : null,
    ],
  );
  return rows.length > 0;
}

function serializeResult(result: unknown): string {
  try {
    return JSON.stringify(result ?? null) ?? 'null';
  } catch {
    // The side effects happened; an unstorable result must not make the job run again.
    return JSON.stringify({ unserializableResult: true });
  }
}

/**
 * Requeues (or dead-letters, if no attempts are left) jobs whose lease ran out: their worker died
 * or hung. SKIP LOCKED with the state re-check on the locked row means a heartbeat that just
 * committed, or another reaper, wins. Returns how many jobs were reaped.
 */
export async function reapExpiredLeases(db: Queryable, now: Date | null, batch = 100): Promise<number> {
  const rows = await db.query<{ id: string }>(
    `WITH expired AS (
       SELECT id FROM jobs
       WHERE state ${inStates('expire')} AND lease_expires_at < ${at(1)}
       ORDER BY lease_expires_at LIMIT $2
       FOR UPDATE SKIP LOCKED
     ), moved AS (
       UPDATE jobs j SET
         state = CASE WHEN j.attempts >= j.max_attempts THEN $3 ELSE $4 END,
         run_at = ${at(1)},
         last_error = 'lease expired: worker ' || j.lease_owner || ' stopped heartbeating',
         finished_at = CASE WHEN j.attempts >= j.max_attempts THEN ${at(1)} END,
         lease_owner = NULL, lease_expires_at = NULL, updated_at = ${at(1)}
       FROM expired WHERE j.id = expired.id
       RETURNING j.id
     ), freed AS (
       DELETE FROM job_ordering_leases l USING moved WHERE l.job_id = moved.id
     )
     SELECT id FROM moved`,
    [now, batch, targetOf('dead_letter'), targetOf('expire')],
  );
  return rows.length;
}
