import { createHash } from 'node:crypto';
import { PermanentJobError, RetryableJobError } from '../../../jobs/errors.js';
import type { Job } from '../../../jobs/job.js';
import type { Db } from '../../../store/db.js';
import type { Connection } from '../../../store/repositories/integration-connections.js';
import {
  type QboClient,
  QboFaultError,
  type QboSession,
  QboUncertainError,
  type QuickBooksConnectionSettings,
  type QuickBooksIntegration,
} from '../types.js';
import type { RealmPacer, RealmRate } from './pace.js';

export interface QboSyncDeps {
  readonly db: Db;
  readonly quickbooks: QuickBooksIntegration;
  /** This process's request rate per realm (pace.ts); QuickBooks' real minute by default. */
  readonly realmRate?: RealmRate;
  /** A pacer to share (benchmarks read its request counts); one per handler set otherwise. */
  readonly pacer?: RealmPacer;
}

/** Everything one push job needs: the tenant's live QuickBooks session and where the job stands. */
export interface QboSyncContext {
  readonly db: Db;
  readonly tenantId: string;
  readonly job: Job;
  readonly connection: Connection;
  readonly settings: QuickBooksConnectionSettings;
  readonly client: QboClient;
  /** The QuickBooks company every object of this tenant lives in. */
  readonly realmId: string;
  /**
   * A previous attempt of this job ran: QuickBooks may hold an object it created whose answer never
   * arrived, so creates look it up (DocNumber, private-note tag) before trying again.
   */
  readonly retrying: boolean;
}

export function syncContext(db: Db, job: Job, session: QboSession, pacer: RealmPacer): QboSyncContext {
  if (job.tenantId === null) throw new PermanentJobError('QuickBooks sync jobs belong to a tenant');
  return {
    db,
    tenantId: job.tenantId,
    job,
    connection: session.connection,
    settings: session.settings,
    client: pacer.pace(session.client),
    realmId: session.client.realmId,
    retrying: job.attempts > 1,
  };
}

/**
 * Runs one QuickBooks request and turns its failures into the queue's: uncertain (5xx, timeout,
 * dropped connection) → retryable, and the retry looks before it creates; a Fault → permanent, with
 * QuickBooks' words. Throttling (QboThrottledError) and a needed re-authorization propagate untouched:
 * withQuickBooksSession turns them into a snooze for QuickBooks' Retry-After (or until someone
 * reconnects) that does not spend one of the job's attempts, so a 429 storm cannot dead-letter a push.
 */
export async function qbo<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw translate(what, error);
  }
}

export function translate(what: string, error: unknown): unknown {
  if (error instanceof QboUncertainError) {
    return new RetryableJobError(`QuickBooks did not answer while trying to ${what}: ${error.message}`, {
      cause: error,
    });
  }
  if (error instanceof QboFaultError) {
    if (error.status >= 500)
      return new RetryableJobError(`Could not ${what}: ${error.message}`, { cause: error });
    return new PermanentJobError(`QuickBooks refused to ${what}: ${error.message}`, { cause: error });
  }
  return error;
}

/** True when the error is (or was translated from) a QuickBooks Fault with that code. */
export function hasFault(error: unknown, code: string): boolean {
  const fault = error instanceof QboFaultError ? error : error instanceof Error ? error.cause : undefined;
  return fault instanceof QboFaultError && fault.has(code);
}

/**
 * The `requestid` of a create: derived from our ids only (and the generation of a deliberate
 * re-create), so every retry of the same create sends the same id and QuickBooks replays its first
 * answer. Hashed to stay under QuickBooks' 50 characters whatever our ids look like.
 */
export function requestIdFor(ctx: Pick<QboSyncContext, 'tenantId'>, ...parts: readonly (string | number)[]) {
  const digest = createHash('sha256')
    .update([ctx.tenantId, ...parts].join('|'))
    .digest('base64url');
  return `lb-${digest.slice(0, 40)}`;
}

/** The tag in every PrivateNote we write, so a lookup can tell our objects from anyone else's. */
export function noteTag(localId: string): string {
  return `ledgerbridge:${localId}`;
}

/** QuickBooks query strings quote with single quotes, escaped by a backslash. */
export function quote(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** A reference field's id (`{ value: '12' }`), or undefined. */
export function refValue(ref: unknown): string | undefined {
  const value = (ref as { value?: unknown } | undefined)?.value;
  return typeof value === 'string' ? value : undefined;
}
