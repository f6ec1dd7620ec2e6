import { isJobState, type JobState } from './states.js';

/** A job as the rest of the application sees it; mapped from a row by `fromRow` only. */
export interface Job {
  readonly id: string;
  /** null for system jobs that belong to no tenant. */
  readonly tenantId: string | null;
  readonly type: string;
  readonly payload: unknown;
  readonly state: JobState;
  /** Claims so far, including the one running now. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly runAt: Date;
  readonly dedupeKey: string | null;
  readonly orderingKey: string | null;
  readonly concurrencyKey: string | null;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: Date | null;
  readonly lastError: string | null;
  /** What the handler resolved with, once succeeded. */
  readonly result: unknown;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}

export interface JobRow {
  [column: string]: unknown;
  id: string;
  tenant_id: string | null;
  type: string;
  payload: unknown;
  state: string;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  dedupe_key: string | null;
  ordering_key: string | null;
  concurrency_key: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  last_error: string | null;
  result: unknown;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/** Every column fromRow reads; queries select exactly these so a new column cannot leak by accident. */
export const JOB_COLUMNS =
  'id, tenant_id, type, payload, state, attempts, max_attempts, run_at, dedupe_key, ordering_key, ' +
  'concurrency_key, lease_owner, lease_expires_at, last_error, result, created_at, updated_at, finished_at';

/** JOB_COLUMNS qualified with a table alias, for joins and UPDATE ... FROM. */
export function jobColumns(alias: string): string {
  return JOB_COLUMNS.split(', ')
    .map((column) => `${alias}.${column}`)
    .join(', ');
}

export function fromRow(row: JobRow): Job {
  if (!isJobState(row.state)) throw new Error(`job ${row.id} has unknown state ${row.state}`);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    type: row.type,
    payload: row.payload,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: toDate(row.run_at),
    dedupeKey: row.dedupe_key,
    orderingKey: row.ordering_key,
    concurrencyKey: row.concurrency_key,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at === null ? null : toDate(row.lease_expires_at),
    lastError: row.last_error,
    result: row.result,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    finishedAt: row.finished_at === null ? null : toDate(row.finished_at),
  };
}

// Both drivers parse timestamptz to Date; this guards against a row built by hand or a raw string.
function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}
