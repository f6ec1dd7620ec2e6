import type { Queryable } from '../../../store/db.js';

/** The inbound side's own tables (migration 0006_stripe_payments.ts). */

export interface PayoutRow {
  readonly id: string;
  readonly account: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: string;
  readonly arrivalDate: Date | null;
  readonly automatic: boolean;
  readonly gross: number | null;
  readonly fee: number | null;
  readonly net: number | null;
}

export async function upsertPayout(tx: Queryable, tenantId: string, payout: PayoutRow): Promise<void> {
  await tx.query(
    `INSERT INTO stripe_payouts (tenant_id, id, account, amount, currency, status, arrival_date, automatic,
                                 gross_amount, fee_amount, net_amount)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (tenant_id, id) DO UPDATE
       SET status = EXCLUDED.status, arrival_date = EXCLUDED.arrival_date, gross_amount = EXCLUDED.gross_amount,
           fee_amount = EXCLUDED.fee_amount, net_amount = EXCLUDED.net_amount, updated_at = now()`,
    [
      tenantId,
      payout.id,
      payout.account,
      payout.amount,
      payout.currency,
      payout.status,
      payout.arrivalDate?.toISOString() ?? null,
      payout.automatic,
      payout.gross,
      payout.fee,
      payout.net,
    ],
  );
}

export interface PayoutItemRow {
  readonly balanceTransactionId: string;
  readonly type: string;
  readonly sourceId: string | null;
  readonly amount: number;
  readonly fee: number;
  readonly net: number;
  readonly currency: string;
  readonly paymentId: string | null;
  readonly refundId: string | null;
}

export async function insertPayoutItem(
  tx: Queryable,
  tenantId: string,
  payoutId: string,
  item: PayoutItemRow,
): Promise<void> {
  await tx.query(
    `INSERT INTO stripe_payout_items (tenant_id, payout_id, balance_transaction_id, type, source_id, amount, fee,
                                      net, currency, payment_id, refund_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (tenant_id, payout_id, balance_transaction_id) DO UPDATE
       SET payment_id = COALESCE(stripe_payout_items.payment_id, EXCLUDED.payment_id),
           refund_id = COALESCE(stripe_payout_items.refund_id, EXCLUDED.refund_id)`,
    [
      tenantId,
      payoutId,
      item.balanceTransactionId,
      item.type,
      item.sourceId,
      item.amount,
      item.fee,
      item.net,
      item.currency,
      item.paymentId,
      item.refundId,
    ],
  );
}

/** Marks payments as carried by the payout; returns those newly marked (id and invoice). */
export async function markPaymentsPaidOut(
  tx: Queryable,
  tenantId: string,
  payoutId: string,
  paymentIds: readonly string[],
): Promise<{ id: string; invoiceId: string | null; amount: number; currency: string }[]> {
  if (paymentIds.length === 0) return [];
  const rows = await tx.query<{ id: string; invoice_id: string | null; amount: number; currency: string }>(
    `UPDATE payments SET stripe_payout_id = $2
     WHERE tenant_id = $1 AND id = ANY($3::text[]) AND stripe_payout_id IS NULL
     RETURNING id, invoice_id, amount, currency`,
    [tenantId, payoutId, [...paymentIds]],
  );
  return rows.map((row) => ({
    id: row.id,
    invoiceId: row.invoice_id,
    amount: row.amount,
    currency: row.currency,
  }));
}

export interface EventCursor {
  readonly lastCreated: number;
  readonly lastEventId: string;
}

export async function getEventCursor(
  db: Queryable,
  tenantId: string,
  connectionId: string,
): Promise<EventCursor | undefined> {
  const [row] = await db.query<{ last_created: number; last_event_id: string }>(
    'SELECT last_created, last_event_id FROM stripe_event_cursors WHERE tenant_id = $1 AND connection_id = $2',
    [tenantId, connectionId],
  );
  return row ? { lastCreated: row.last_created, lastEventId: row.last_event_id } : undefined;
}

/** Moves the cursor forward only: a slower concurrent run never moves it back. */
export async function advanceEventCursor(
  db: Queryable,
  tenantId: string,
  connectionId: string,
  cursor: EventCursor,
): Promise<void> {
  await db.query(
    `INSERT INTO stripe_event_cursors (tenant_id, connection_id, last_created, last_event_id)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, connection_id) DO UPDATE
       SET last_created = EXCLUDED.last_created, last_event_id = EXCLUDED.last_event_id, updated_at = now()
       WHERE stripe_event_cursors.last_created <= EXCLUDED.last_created`,
    [tenantId, connectionId, cursor.lastCreated, cursor.lastEventId],
  );
}
