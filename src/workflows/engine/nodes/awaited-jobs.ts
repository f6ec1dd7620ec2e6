import { retryDeadJob } from '../../../jobs/repository.js';
import type { Queryable } from '../../../store/db.js';

/** The state of the integration jobs a step waits for, found by their dedupe keys. */
export interface AwaitedJob {
  readonly dedupeKey: string;
  readonly state: string;
  readonly lastError: string | null;
}

export async function awaitedJobs(
  db: Queryable,
  tenantId: string,
  dedupeKeys: readonly string[],
): Promise<AwaitedJob[]> {
  if (dedupeKeys.length === 0) return [];
  const rows = await db.query<{ dedupe_key: string; state: string; last_error: string | null }>(
    'SELECT dedupe_key, state, last_error FROM jobs WHERE tenant_id = $1 AND dedupe_key = ANY($2::text[])',
    [tenantId, [...dedupeKeys]],
  );
  return rows.map((row) => ({ dedupeKey: row.dedupe_key, state: row.state, lastError: row.last_error }));
}

/** Short while the job is running (its outcome is seconds away), longer while it is queued. */
export const RECHECK_RUNNING_MS = 500;
export const RECHECK_QUEUED_MS = 15_000;

/**
 * Gives the dead-lettered jobs among `dedupeKeys` a fresh attempt budget: a person retrying a step
 * that failed because an integration job gave up means "try that again" — without this the step
 * would find the same dead job and fail at once. Returns the ids of the jobs revived.
 */
export async function reviveDeadJobs(
  tx: Queryable,
  tenantId: string,
  dedupeKeys: readonly string[],
): Promise<string[]> {
  if (dedupeKeys.length === 0) return [];
  const dead = await tx.query<{ id: string }>(
    `SELECT id FROM jobs WHERE tenant_id = $1 AND dedupe_key = ANY($2::text[]) AND state = 'dead'
     ORDER BY id FOR UPDATE`,
    [tenantId, [...dedupeKeys]],
  );
  for (const { id } of dead) await retryDeadJob(tx, tenantId, id);
  return dead.map(({ id }) => id);
}
