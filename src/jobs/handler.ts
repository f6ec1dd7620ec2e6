import type { Db } from '../store/db.js';
import type { BackoffOptions } from './backoff.js';
import type { Job } from './job.js';

export interface JobContext {
  /** Aborted when the lease is lost or the worker gives up on the job during shutdown. */
  signal: AbortSignal;
  /** Extends the lease now (the worker also does so every leaseMs/3); throws LeaseLostError if lost. */
  heartbeat(): Promise<void>;
}

/** Resolves with the job's result (stored as jsonb); throws to fail (see errors.ts). */
export type JobHandler = (job: Job, context: JobContext) => Promise<unknown>;

type LogFn = (obj: object, msg?: string) => void;
export interface JobLogger {
  /** Routine events (a job snoozing while it waits); pino's debug, off at the default level. */
  debug?: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export interface WorkerOptions {
  db: Db;
  /**
   * By job type. A worker claims every type, and a type without a handler is dead-lettered, so
   * every worker process sharing a database must register every handler.
   */
  handlers: Record<string, JobHandler>;
  /** Jobs run at once by this worker (and the most it claims in one transaction). */
  concurrency?: number;
  pollIntervalMs?: number;
  /** How long a claim lasts without a heartbeat; a dead worker's jobs run again after this. */
  leaseMs?: number;
  workerId?: string;
  logger?: JobLogger;
  backoff?: BackoffOptions;
  /** Clock for leases, run_at and rate limits; by default the database server's clock. */
  now?: () => Date;
}
