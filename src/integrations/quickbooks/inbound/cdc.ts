import { DomainError } from '../../../domain/errors.js';
import { AppError } from '../../../http/errors.js';
import { describeError, PermanentJobError } from '../../../jobs/errors.js';
import type { JobHandler } from '../../../jobs/handler.js';
import type { Db, Queryable } from '../../../store/db.js';
import {
  type ConnectionSweep,
  enqueueConnectionSweep,
  scheduleConnectionSweeps,
} from '../../connection-sweeps.js';
import { getLiveConnection } from '../../../store/repositories/integration-connections.js';
import { withQuickBooksSession } from '../connection/pause.js';
import type { QboDeps } from '../connection/session.js';
import { type QboObject, QboFaultError, type QboSession } from '../types.js';
import { advanceCdcCursor, getCdcCursor } from './cdc-cursor.js';
import { committer, qbo } from './context.js';
import { importExisting } from './initial-import.js';
import { pullObject } from './pull.js';

/**
 * `quickbooks.cdc`: a notification that never came is still applied. Per connection, asks QuickBooks'
 * change data capture for every Invoice, Payment, Customer and CreditMemo changed since the cursor
 * and applies each through the same code a notification takes (pull.ts). The cursor starts at the
 * connection's connected_at and becomes the newest LastUpdatedTime seen — QuickBooks' own clock, so
 * a skew between its clock and ours loses nothing — and moves only after every object of the sweep was
 * applied; a sweep that fails is repeated whole, harmlessly. An object that can never be applied as it
 * is (refused by our rules) is reported in the job's result and skipped, so it cannot stall the rest.
 * Each query reaches back a few minutes before the cursor (objects that share or straddle a second),
 * and never more than the 30 days QuickBooks allows.
 */
export const QBO_CDC_JOB = 'quickbooks.cdc';

// RefundReceipt last: a refund entered in QuickBooks ties to a payment the same sweep may record.
export const CDC_ENTITIES = ['Customer', 'Payment', 'CreditMemo', 'Invoice', 'RefundReceipt'] as const;
/** How often the scheduler sweeps each connection. */
export const CDC_EVERY_MS = 15 * 60 * 1000;
const OVERLAP_MS = 5 * 60 * 1000;
/** QuickBooks answers at most 30 days back; a day's margin keeps clocks apart from the edge. */
const MAX_LOOKBACK_MS = 29 * 24 * 60 * 60 * 1000;
/** CDC returns at most 1000 objects per entity: a full page means more may wait. */
const CDC_PAGE = 1000;

export interface CdcPayload {
  readonly connection_id: string;
}

export interface CdcResult {
  readonly since?: string;
  readonly cursor?: string;
  readonly counts?: Readonly<Record<string, number>>;
  readonly skipped?: string;
  /** Objects that can never be applied as they are (each with the reason); the sweep went on. */
  readonly failures?: readonly string[];
  readonly more?: boolean;
}

export function createCdcSweeper(deps: QboDeps): JobHandler {
  return async (job): Promise<CdcResult> => {
    const connectionId = (job.payload as Partial<CdcPayload> | null)?.connection_id;
    if (job.tenantId === null || typeof connectionId !== 'string') {
      throw new PermanentJobError('a QuickBooks CDC job needs a tenant and a connection_id');
    }
    const tenantId = job.tenantId;
    const connection = await getLiveConnection(deps.db, tenantId, 'quickbooks');
    if (!connection || connection.id !== connectionId || connection.status !== 'connected') {
      return { skipped: 'the connection is no longer live' };
    }
    const result = await withQuickBooksSession(deps, job, (session) =>
      sweep(deps, tenantId, session, connection.connectedAt),
    );
    if (result.more) {
      await deps.db.transaction((tx) =>
        enqueueQuickBooksCdc(tx, tenantId, connectionId, `more-${result.cursor}`),
      );
    }
    return result;
  };
}

export async function sweep(
  deps: QboDeps,
  tenantId: string,
  session: QboSession,
  connectedAt: Date,
): Promise<CdcResult> {
  const connectionId = session.connection.id;
  const ctx = { db: deps.db, tenantId, session, via: 'cdc' as const };
  const stored = await getCdcCursor(deps.db, tenantId, connectionId);
  // The first sweep of a connection brings in what QuickBooks held before it (initial-import.ts).
  const existing = stored === undefined ? await importExisting(ctx) : {};
  const cursor = stored ?? connectedAt;
  const floor = deps.quickbooks.now() - MAX_LOOKBACK_MS;
  const since = new Date(Math.max(cursor.getTime() - OVERLAP_MS, floor));
  const changed = await qbo('read QuickBooks change data capture', () =>
    session.client.cdc(CDC_ENTITIES, since),
  );
  const counts: Record<string, number> = { ...existing };
  let newest = cursor.getTime();
  let more = false;
  const failures: string[] = [];
  for (const entity of CDC_ENTITIES) {
    const objects = changed[entity] ?? [];
    counts[entity] = objects.length;
    if (objects.length >= CDC_PAGE) more = true;
    for (const object of oldestFirst(objects)) {
      if (typeof object.Id !== 'string') continue;
      try {
        await pullObject(ctx, entity, object.Id, committer(deps.db), object);
      } catch (error) {
        // A transient failure repeats the sweep (the cursor stays). One object that can never be
        // applied must not stop every later change from being: it is reported and skipped.
        if (!cannotEverApply(error)) throw error;
        failures.push(`${entity} ${object.Id}: ${describeError(error)}`);
      }
      newest = Math.max(newest, lastUpdated(object) ?? 0);
    }
  }
  const next = new Date(newest);
  await advanceCdcCursor(deps.db, tenantId, connectionId, next, {
    ...counts,
    ...(failures.length > 0 && { failed: failures.length }),
  });
  return {
    since: since.toISOString(),
    cursor: next.toISOString(),
    counts,
    ...(failures.length > 0 && { failures }),
    ...(more && { more }),
  };
}

function cannotEverApply(error: unknown): boolean {
  return (
    error instanceof PermanentJobError ||
    error instanceof AppError ||
    error instanceof DomainError ||
    (error instanceof QboFaultError && error.status < 500)
  );
}

function lastUpdated(object: QboObject): number | undefined {
  const text = (object.MetaData as { LastUpdatedTime?: unknown } | undefined)?.LastUpdatedTime;
  if (typeof text !== 'string') return undefined;
  const time = new Date(text).getTime();
  return Number.isNaN(time) ? undefined : time;
}

function oldestFirst(objects: readonly QboObject[]): QboObject[] {
  return [...objects].sort((a, b) => (lastUpdated(a) ?? 0) - (lastUpdated(b) ?? 0));
}

const CDC_SWEEP: ConnectionSweep = {
  type: QBO_CDC_JOB,
  provider: 'quickbooks',
  orderingPrefix: 'quickbooks:cdc',
};

/** Enqueues one sweep of a connection under `key` (see enqueueConnectionSweep). */
export async function enqueueQuickBooksCdc(
  tx: Queryable,
  tenantId: string,
  connectionId: string,
  key: string,
): Promise<void> {
  await enqueueConnectionSweep(tx, CDC_SWEEP, tenantId, connectionId, key);
}

/** For the process's scheduler: one sweep per connected QuickBooks company per period of `everyMs`. */
export function scheduleQuickBooksCdc(
  db: Db,
  now: Date = new Date(),
  everyMs: number = CDC_EVERY_MS,
): Promise<number> {
  return scheduleConnectionSweeps(db, CDC_SWEEP, now, everyMs);
}
