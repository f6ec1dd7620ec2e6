import type { Db, Queryable } from '../../../store/db.js';
import type { LinkLocalType } from '../../../store/repositories/external-links.js';
import { getInvoice } from '../../../store/repositories/invoices.js';

/** The push's own tables (migration 0009_quickbooks_sync.ts). */

export type QboSyncStatus = 'pending' | 'synced' | 'failed';

export interface QboInvoiceSyncState {
  readonly status: QboSyncStatus;
  readonly error: string | null;
  readonly generation: number;
  readonly syncedAt: Date | null;
}

interface StateRow {
  [column: string]: unknown;
  status: QboSyncStatus;
  error: string | null;
  generation: number;
  synced_at: Date | null;
}

export async function getQboInvoiceSyncState(
  db: Queryable,
  tenantId: string,
  invoiceId: string,
): Promise<QboInvoiceSyncState | undefined> {
  const [row] = await db.query<StateRow>(
    `SELECT status, error, generation, synced_at FROM quickbooks_invoice_sync
     WHERE tenant_id = $1 AND invoice_id = $2`,
    [tenantId, invoiceId],
  );
  return row
    ? { status: row.status, error: row.error, generation: Number(row.generation), syncedAt: row.synced_at }
    : undefined;
}

/**
 * One write of the push's outcome about an invoice (sync state, link, timeline), in a transaction
 * that locks the invoice row first. Every invoice change takes that row first: a void locks it, then
 * marks its QuickBooks job pending on the quickbooks_invoice_sync row. An outcome that took the sync
 * row first and the invoice row second (its timeline entry's foreign key) deadlocked with such a
 * void; locked first here, it just waits for the void to commit (void-race.test.ts).
 */
export async function writeInvoiceOutcome(
  db: Db,
  tenantId: string,
  invoiceId: string,
  write: (tx: Queryable) => Promise<void>,
): Promise<void> {
  await db.transaction(async (tx) => {
    await getInvoice(tx, tenantId, invoiceId, { forUpdate: true });
    await write(tx);
  });
}

/** Pending (when the push is enqueued), synced (with the time) or failed (with the reason). */
export async function setQboInvoiceSyncState(
  db: Queryable,
  tenantId: string,
  invoiceId: string,
  status: QboSyncStatus,
  error: string | null,
): Promise<void> {
  await db.query(
    `INSERT INTO quickbooks_invoice_sync (tenant_id, invoice_id, status, error, synced_at)
     VALUES ($1, $2, $3, $4, CASE WHEN $3 = 'synced' THEN now() END)
     ON CONFLICT (tenant_id, invoice_id) DO UPDATE
       SET status = EXCLUDED.status, error = EXCLUDED.error, updated_at = now(),
           synced_at = COALESCE(EXCLUDED.synced_at, quickbooks_invoice_sync.synced_at)`,
    [tenantId, invoiceId, status, error],
  );
}

/** The last retryable error, status unchanged (the queue tries again). */
export async function noteQboInvoiceSyncError(
  db: Queryable,
  tenantId: string,
  invoiceId: string,
  error: string,
): Promise<void> {
  await db.query(
    `UPDATE quickbooks_invoice_sync SET error = $3, updated_at = now() WHERE tenant_id = $1 AND invoice_id = $2`,
    [tenantId, invoiceId, error],
  );
}

/** A deliberate re-create: the next create sends a new requestid (see the migration). */
export async function bumpQboInvoiceGeneration(db: Queryable, tenantId: string, invoiceId: string) {
  await db.query(
    `UPDATE quickbooks_invoice_sync SET generation = generation + 1, updated_at = now()
     WHERE tenant_id = $1 AND invoice_id = $2`,
    [tenantId, invoiceId],
  );
}

/** Forgets a link whose QuickBooks object we deleted (an invoice whose total came out wrong). */
export async function deleteQboLink(
  db: Queryable,
  tenantId: string,
  localType: LinkLocalType,
  localId: string,
): Promise<void> {
  await db.query(
    `DELETE FROM external_links WHERE tenant_id = $1 AND provider = 'quickbooks' AND local_type = $2 AND local_id = $3`,
    [tenantId, localType, localId],
  );
}

export async function readRealmFacts(
  db: Queryable,
  tenantId: string,
  realmId: string,
): Promise<{ data: Record<string, unknown>; refreshedAt: Date } | undefined> {
  const [row] = await db.query<{ data: Record<string, unknown>; refreshed_at: Date }>(
    'SELECT data, refreshed_at FROM quickbooks_realm_facts WHERE tenant_id = $1 AND realm_id = $2',
    [tenantId, realmId],
  );
  return row ? { data: row.data, refreshedAt: row.refreshed_at } : undefined;
}

/** Merges `patch` into the stored facts (concurrent jobs each add what they learned). */
export async function mergeRealmFacts(
  db: Queryable,
  tenantId: string,
  realmId: string,
  patch: Record<string, unknown>,
  refreshed = false,
): Promise<void> {
  await db.query(
    `INSERT INTO quickbooks_realm_facts (tenant_id, realm_id, data) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (tenant_id, realm_id) DO UPDATE
       SET data = quickbooks_realm_facts.data || EXCLUDED.data,
           refreshed_at = CASE WHEN $4 THEN now() ELSE quickbooks_realm_facts.refreshed_at END`,
    [tenantId, realmId, JSON.stringify(patch), refreshed],
  );
}
