import type { Queryable } from '../../../store/db.js';
import type { LinkLocalType } from '../../../store/repositories/external-links.js';

/** The sync's own tables and columns (migration 0005_stripe_sync.ts). */

export async function keyGeneration(db: Queryable, tenantId: string, key: string): Promise<number> {
  const [row] = await db.query<{ generation: number }>(
    'SELECT generation FROM stripe_idempotency_generations WHERE tenant_id = $1 AND key = $2',
    [tenantId, key],
  );
  return row?.generation ?? 0;
}

export async function bumpKeyGeneration(db: Queryable, tenantId: string, key: string): Promise<void> {
  await db.query(
    `INSERT INTO stripe_idempotency_generations (tenant_id, key, generation) VALUES ($1, $2, 1)
     ON CONFLICT (tenant_id, key) DO UPDATE
       SET generation = stripe_idempotency_generations.generation + 1, updated_at = now()`,
    [tenantId, key],
  );
}

export async function findTaxRateId(
  db: Queryable,
  tenantId: string,
  account: string,
  percentage: string,
  inclusive: boolean,
): Promise<string | undefined> {
  const [row] = await db.query<{ tax_rate_id: string }>(
    `SELECT tax_rate_id FROM stripe_tax_rates
     WHERE tenant_id = $1 AND account = $2 AND percentage = $3::numeric AND inclusive = $4`,
    [tenantId, account, percentage, inclusive],
  );
  return row?.tax_rate_id;
}

export async function recordTaxRate(
  db: Queryable,
  tenantId: string,
  account: string,
  percentage: string,
  inclusive: boolean,
  taxRateId: string,
): Promise<void> {
  await db.query(
    `INSERT INTO stripe_tax_rates (tenant_id, account, percentage, inclusive, tax_rate_id)
     VALUES ($1, $2, $3::numeric, $4, $5) ON CONFLICT DO NOTHING`,
    [tenantId, account, percentage, inclusive, taxRateId],
  );
}

export type SyncStatus = 'pending' | 'synced' | 'failed';

export interface InvoiceSyncState {
  readonly paymentLinkUrl: string | null;
  readonly status: SyncStatus | null;
  readonly error: string | null;
}

export async function getInvoiceSyncState(
  db: Queryable,
  tenantId: string,
  invoiceId: string,
): Promise<InvoiceSyncState | undefined> {
  const [row] = await db.query<{
    payment_link_url: string | null;
    stripe_sync_status: SyncStatus | null;
    stripe_sync_error: string | null;
  }>(
    'SELECT payment_link_url, stripe_sync_status, stripe_sync_error FROM invoices WHERE tenant_id = $1 AND id = $2',
    [tenantId, invoiceId],
  );
  return row
    ? { paymentLinkUrl: row.payment_link_url, status: row.stripe_sync_status, error: row.stripe_sync_error }
    : undefined;
}

export async function setInvoiceSyncState(
  db: Queryable,
  tenantId: string,
  invoiceId: string,
  state: { status: SyncStatus; error: string | null; paymentLinkUrl?: string },
): Promise<void> {
  await db.query(
    `UPDATE invoices SET stripe_sync_status = $3, stripe_sync_error = $4,
       payment_link_url = COALESCE($5, payment_link_url), updated_at = now()
     WHERE tenant_id = $1 AND id = $2`,
    [tenantId, invoiceId, state.status, state.error, state.paymentLinkUrl ?? null],
  );
}

/** Records the last retryable error without changing the status (the queue tries again). */
export async function noteInvoiceSyncError(
  db: Queryable,
  tenantId: string,
  invoiceId: string,
  error: string,
): Promise<void> {
  await db.query(
    `UPDATE invoices SET stripe_sync_error = $3 WHERE tenant_id = $1 AND id = $2 AND stripe_sync_status = 'pending'`,
    [tenantId, invoiceId, error],
  );
}

/**
 * Forgets a link whose provider object was deleted (a draft invoice deleted after a total mismatch).
 * external-links.ts offers no delete; this is the only one, for that case.
 */
export async function deleteStripeLink(
  db: Queryable,
  tenantId: string,
  localType: LinkLocalType,
  localId: string,
): Promise<void> {
  await db.query(
    `DELETE FROM external_links WHERE tenant_id = $1 AND provider = 'stripe' AND local_type = $2 AND local_id = $3`,
    [tenantId, localType, localId],
  );
}
