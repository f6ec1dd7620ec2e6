import type { Queryable } from '../store/db.js';
import { fromRow, JOB_COLUMNS, type Job, type JobRow } from './job.js';
import { type JobEvent, type JobState, sourcesOf, targetOf, transition } from './states.js';

/**
 * Reads and operator actions for the REST API. Every function takes the caller's tenant and adds
 * it to the WHERE clause, so another tenant's job (or a system job) is simply not found.
 */

export interface JobFilter {
  state?: JobState;
  type?: string;
  /** Cursor: the id of the last job of the previous page. */
  after?: string;
  limit: number;
}

export const MAX_PAGE_SIZE = 500;

/** A tenant's jobs, oldest first (ids sort by creation time), one page at a time. */
export async function listJobs(db: Queryable, tenantId: string, filter: JobFilter): Promise<Job[]> {
  if (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > MAX_PAGE_SIZE) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  const rows = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs
     WHERE tenant_id = $1
       AND ($2::text IS NULL OR state = $2)
       AND ($3::text IS NULL OR type = $3)
       AND ($4::text IS NULL OR id > $4)
     ORDER BY id
     LIMIT $5`,
    [tenantId, filter.state ?? null, filter.type ?? null, filter.after ?? null, filter.limit],
  );
  return rows.map(fromRow);
}

export async function getJob(db: Queryable, tenantId: string, id: string): Promise<Job | undefined> {
  const rows = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE tenant_id = $1 AND id = $2`, [
    tenantId,
    id,
  ]);
  const row = rows[0];
  return row ? fromRow(row) : undefined;
}

/**
 * Runs a dead-lettered job again with a fresh attempt budget (last_error is kept for the record).
 * Returns undefined if the tenant has no such job; throws IllegalTransitionError if it is not dead.
 */
export async function retryDeadJob(db: Queryable, tenantId: string, id: string): Promise<Job | undefined> {
  return applyOperatorEvent(
    db,
    tenantId,
    id,
    'manual_retry',
    `attempts = 0, run_at = statement_timestamp(), finished_at = NULL`,
  );
}

/** Withdraws a queued or dead job so it never runs; a running job cannot be cancelled. */
export async function cancelJob(db: Queryable, tenantId: string, id: string): Promise<Job | undefined> {
  return applyOperatorEvent(db, tenantId, id, 'cancel', `finished_at = statement_timestamp()`);
}

async function applyOperatorEvent(
  db: Queryable,
  tenantId: string,
  id: string,
  event: JobEvent,
  assignments: string,
): Promise<Job | undefined> {
  // The guarded UPDATE is the check that counts (the row may change between statements); reading
  // the job after a miss only tells "not found" from "not allowed", via the transition table.
  for (;;) {
    const rows = await db.query<JobRow>(
      `UPDATE jobs SET state = $3, ${assignments}, updated_at = statement_timestamp()
       WHERE tenant_id = $1 AND id = $2 AND state = ANY($4::text[])
       RETURNING ${JOB_COLUMNS}`,
      [tenantId, id, targetOf(event), sourcesOf(event)],
    );
    const row = rows[0];
    if (row) return fromRow(row);
    const current = await getJob(db, tenantId, id);
    if (!current) return undefined;
    transition(current.state, event); // throws IllegalTransitionError
    // It moved into an allowed state between the two statements: try again.
  }
}
