import type { Queryable } from '../db.js';
import { newId } from '../ids.js';
import type { Provider } from './integration-connections.js';

/**
 * Verified webhook deliveries. The UNIQUE (provider, event_id) key is the dedupe gate: a redelivered
 * event conflicts on insert, so it is stored once and processed once however often it arrives.
 */
export type InboxStatus = 'pending' | 'processing' | 'processed' | 'failed' | 'ignored';

export interface InboxEntry {
  readonly id: string;
  readonly provider: Provider;
  readonly eventId: string;
  readonly account: string | null;
  readonly tenantId: string | null;
  readonly type: string;
  readonly payload: unknown;
  readonly rawBodySha256: string;
  readonly receivedAt: Date;
  readonly status: InboxStatus;
  readonly attempts: number;
  readonly processedAt: Date | null;
  readonly lastError: string | null;
  readonly note: string | null;
}

const COLUMNS =
  'id, provider, event_id, account, tenant_id, type, payload, raw_body_sha256, received_at, status, attempts, ' +
  'processed_at, last_error, note';

function fromRow(row: Record<string, unknown>): InboxEntry {
  return {
    id: row.id as string,
    provider: row.provider as Provider,
    eventId: row.event_id as string,
    account: row.account as string | null,
    tenantId: row.tenant_id as string | null,
    type: row.type as string,
    payload: row.payload,
    rawBodySha256: row.raw_body_sha256 as string,
    receivedAt: row.received_at as Date,
    status: row.status as InboxStatus,
    attempts: row.attempts as number,
    processedAt: row.processed_at as Date | null,
    lastError: row.last_error as string | null,
    note: row.note as string | null,
  };
}

export interface NewInboxEntry {
  readonly provider: Provider;
  readonly eventId: string;
  readonly account: string | undefined;
  readonly tenantId: string | undefined;
  readonly type: string;
  /** The raw body's text; stored as jsonb (parsed by the database, so nothing is re-serialized here). */
  readonly rawJson: string;
  readonly rawBodySha256: string;
  readonly status: 'pending' | 'ignored';
  readonly note?: string;
}

/** The new entry, or undefined when the event was already received (a duplicate delivery). */
export async function insertInboxEntry(db: Queryable, entry: NewInboxEntry): Promise<InboxEntry | undefined> {
  const [row] = await db.query(
    `INSERT INTO webhook_inbox (id, provider, event_id, account, tenant_id, type, payload, raw_body_sha256, status,
                                note, processed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, CASE WHEN $9 = 'ignored' THEN now() END)
     ON CONFLICT (provider, event_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      newId('whk'),
      entry.provider,
      entry.eventId,
      entry.account ?? null,
      entry.tenantId ?? null,
      entry.type,
      entry.rawJson,
      entry.rawBodySha256,
      entry.status,
      entry.note ?? null,
    ],
  );
  return row ? fromRow(row) : undefined;
}

export async function getInboxEntry(db: Queryable, id: string): Promise<InboxEntry | undefined> {
  const [row] = await db.query(`SELECT ${COLUMNS} FROM webhook_inbox WHERE id = $1`, [id]);
  return row ? fromRow(row) : undefined;
}

/** Claims the entry for an attempt; undefined if it is already finished (processed or ignored). */
export async function markInboxProcessing(db: Queryable, id: string): Promise<InboxEntry | undefined> {
  const [row] = await db.query(
    `UPDATE webhook_inbox SET status = 'processing', attempts = attempts + 1
     WHERE id = $1 AND status IN ('pending', 'processing', 'failed') RETURNING ${COLUMNS}`,
    [id],
  );
  return row ? fromRow(row) : undefined;
}

export async function markInboxFinished(
  db: Queryable,
  id: string,
  outcome: { status: 'processed' | 'ignored'; note?: string },
): Promise<void> {
  await db.query(
    `UPDATE webhook_inbox SET status = $2, note = $3, last_error = NULL, processed_at = now() WHERE id = $1`,
    [id, outcome.status, outcome.note ?? null],
  );
}

export async function markInboxFailed(db: Queryable, id: string, error: string): Promise<void> {
  await db.query(`UPDATE webhook_inbox SET status = 'failed', last_error = $2 WHERE id = $1`, [id, error]);
}

/**
 * The event arrived before what it is about was stored here (see NotStoredYetError): back to
 * pending, with the reason, for the job's next attempt. Not a failure.
 */
export async function markInboxWaiting(db: Queryable, id: string, reason: string): Promise<void> {
  await db.query(`UPDATE webhook_inbox SET status = 'pending', last_error = $2 WHERE id = $1`, [id, reason]);
}
