import { RetryableJobError } from '../../../jobs/errors.js';
import type { Db, Queryable } from '../../../store/db.js';
import { appendInvoiceEvent, type NewInvoiceEvent } from '../../../store/repositories/timeline.js';
import {
  type QboClient,
  type QboObject,
  QboFaultError,
  type QboSession,
  QboUncertainError,
} from '../types.js';

/** What the pull needs: the database, and a way to open a tenant's QuickBooks session. */
export interface PullDeps {
  readonly db: Db;
  /** The connection's `openQboSession`; throws QboReauthorizationRequiredError when unusable. */
  readonly openSession: (tenantId: string) => Promise<QboSession>;
}

/** One pull: a tenant's session, and how the change reached us (for notes and the timeline). */
export interface PullContext {
  readonly db: Db;
  readonly tenantId: string;
  readonly session: QboSession;
  readonly via: 'webhook' | 'cdc';
}

export type PullOutcome =
  | { readonly status: 'processed'; readonly note?: string }
  | { readonly status: 'ignored'; readonly note: string };

export const processed: PullOutcome = Object.freeze({ status: 'processed' });

export function ignored(note: string): PullOutcome {
  return { status: 'ignored', note };
}

/**
 * Runs the final transaction of an applier. `finish` (the inbox entry's "processed" mark, when a
 * webhook drives the pull) commits together with the change, or not at all.
 */
export type Commit = (apply: (tx: Queryable) => Promise<PullOutcome>) => Promise<PullOutcome>;

export function committer(db: Db, finish?: (tx: Queryable, outcome: PullOutcome) => Promise<void>): Commit {
  return (apply) =>
    db.transaction(async (tx) => {
      const outcome = await apply(tx);
      if (finish) await finish(tx, outcome);
      return outcome;
    });
}

/**
 * Who the pull acts as: the QuickBooks system itself (`quickbooks:webhook`, `quickbooks:cdc`), so the
 * push side (isQuickBooksActor) recognises these changes as QuickBooks' own and never sends them back.
 */
export function quickbooksActor(tenantId: string, via: PullContext['via'] = 'webhook') {
  return { tenantId, actor: `quickbooks:${via}`, system: 'quickbooks' as const };
}

/**
 * Appends a timeline entry as QuickBooks unless one of the same kind already carries
 * `data[key] = value`: a fact reported by two notifications, or a retried one, appears once. Callers
 * hold the invoice's lock.
 */
export async function appendOnce(
  tx: Queryable,
  entry: Omit<NewInvoiceEvent, 'actor' | 'system'> & { readonly data: Readonly<Record<string, unknown>> },
  key: string,
  via: PullContext['via'] = 'webhook',
): Promise<boolean> {
  const value = entry.data[key];
  if (typeof value !== 'string') throw new Error(`timeline entry ${entry.kind} has no ${key} to dedupe on`);
  const [seen] = await tx.query(
    `SELECT 1 FROM invoice_events WHERE tenant_id = $1 AND invoice_id = $2 AND kind = $3 AND data->>$4 = $5`,
    [entry.tenantId, entry.invoiceId, entry.kind, key, value],
  );
  if (seen) return false;
  await appendInvoiceEvent(tx, { ...entry, ...quickbooksActor(entry.tenantId, via) });
  return true;
}

/**
 * One read from QuickBooks, with its failures turned into the queue's: uncertain (5xx, timeout) →
 * retry with backoff. Throttling and reauthorization propagate: withQuickBooksSession turns them into
 * a snooze that uses no attempt. Any other Fault stays a Fault (a 4xx: the job fails with it).
 */
export async function qbo<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof QboUncertainError) {
      throw new RetryableJobError(`Could not ${what}: ${error.message}`);
    }
    if (error instanceof QboFaultError && error.status >= 500) {
      throw new RetryableJobError(`Could not ${what}: ${error.message}`);
    }
    throw error;
  }
}

/** Reads one object; undefined when QuickBooks says it does not exist (deleted, or never was). */
export function readObject(client: QboClient, entity: string, id: string): Promise<QboObject | undefined> {
  return qbo(`read QuickBooks ${entity} ${id}`, () => client.read(entity, id));
}

/** The Id inside a reference field (`CustomerRef: { value: '12' }`). */
export function refValue(value: unknown): string | undefined {
  if (value && typeof value === 'object' && 'value' in value) {
    const inner = (value as { value: unknown }).value;
    if (typeof inner === 'string' && inner !== '') return inner;
    if (typeof inner === 'number') return String(inner);
  }
  return undefined;
}

export function stringField(object: QboObject, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Whether a CDC row or a read stands for a deleted object. */
export function isDeletedStub(object: QboObject): boolean {
  return object.status === 'Deleted';
}

// Namespace for the pull's advisory locks (two-int form; the queue uses its own namespace).
const IMPORT_LOCK_NAMESPACE = 7_340_213;

/**
 * Serialises imports of one QuickBooks object within the tenant until the transaction ends: a
 * customer's notification and an invoice's (which imports the same customer) would otherwise both
 * find no link and race to create a contact; the unique link would refuse the second, but only
 * after it did its work. Callers look for the link again after taking the lock.
 */
export async function lockImport(tx: Queryable, tenantId: string, entity: string, id: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    IMPORT_LOCK_NAMESPACE,
    `${tenantId}:${entity}:${id}`,
  ]);
}
