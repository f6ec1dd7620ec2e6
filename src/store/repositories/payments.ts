import type { PaymentMethod, PaymentSource } from '../../domain/index.js';
import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { listPage, type Page } from '../list.js';
import { required } from './contacts.js';

export type PaymentPurpose =
  'invoice' | 'order_form' | 'subscription' | 'membership' | 'calendar_booking' | 'other';

export interface Payment {
  readonly id: string;
  readonly tenantId: string;
  readonly invoiceId: string | null;
  readonly contactId: string;
  readonly amount: number;
  readonly amountRefunded: number;
  readonly currency: string;
  readonly method: PaymentMethod;
  readonly source: PaymentSource;
  readonly purpose: PaymentPurpose;
  readonly externalId: string | null;
  readonly reference: string | null;
  readonly memo: string | null;
  readonly receivedAt: Date;
  /** What the processor kept (e.g. Stripe's fee), in the payment's minor units; null when unknown. */
  readonly feeAmount: number | null;
  /** The card that paid (`visa`, `mastercard`…) and its last four digits, when known. */
  readonly cardBrand: string | null;
  readonly cardLast4: string | null;
  /** The Stripe payout (po_…) that carried this payment to the bank, once paid out. */
  readonly stripePayoutId: string | null;
  readonly createdAt: Date;
}

export type NewPayment = Omit<
  Payment,
  | 'id'
  | 'tenantId'
  | 'amountRefunded'
  | 'createdAt'
  | 'receivedAt'
  | 'feeAmount'
  | 'cardBrand'
  | 'cardLast4'
  | 'stripePayoutId'
> & {
  /** When the money arrived, if not now. */
  readonly receivedAt: string | null;
  readonly feeAmount?: number | null;
  readonly cardBrand?: string | null;
  readonly cardLast4?: string | null;
};

export interface Refund {
  readonly id: string;
  readonly tenantId: string;
  readonly paymentId: string;
  readonly amount: number;
  readonly currency: string;
  readonly reason: string | null;
  readonly source: PaymentSource;
  readonly externalId: string | null;
  readonly createdAt: Date;
}

export type NewRefund = Omit<Refund, 'id' | 'tenantId' | 'createdAt'>;

export function paymentFromRow(row: Row): Payment {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    invoiceId: (row.invoice_id as string | null) ?? null,
    contactId: String(row.contact_id),
    amount: Number(row.amount),
    amountRefunded: Number(row.amount_refunded),
    currency: String(row.currency),
    method: row.method as PaymentMethod,
    source: row.source as PaymentSource,
    purpose: row.purpose as PaymentPurpose,
    externalId: (row.external_id as string | null) ?? null,
    reference: (row.reference as string | null) ?? null,
    memo: (row.memo as string | null) ?? null,
    receivedAt: row.received_at as Date,
    feeAmount: row.fee_amount === null || row.fee_amount === undefined ? null : Number(row.fee_amount),
    cardBrand: (row.card_brand as string | null) ?? null,
    cardLast4: (row.card_last4 as string | null) ?? null,
    stripePayoutId: (row.stripe_payout_id as string | null) ?? null,
    createdAt: row.created_at as Date,
  };
}

export function refundFromRow(row: Row): Refund {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    paymentId: String(row.payment_id),
    amount: Number(row.amount),
    currency: String(row.currency),
    reason: (row.reason as string | null) ?? null,
    source: row.source as PaymentSource,
    externalId: (row.external_id as string | null) ?? null,
    createdAt: row.created_at as Date,
  };
}

export async function insertPayment(tx: Queryable, tenantId: string, input: NewPayment): Promise<Payment> {
  const [row] = await tx.query(
    `INSERT INTO payments (tenant_id, id, invoice_id, contact_id, amount, currency, method, source, purpose,
       external_id, reference, memo, received_at, fee_amount, card_brand, card_last4)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, COALESCE($13::timestamptz, now()), $14, $15, $16)
     RETURNING *`,
    [
      tenantId,
      newId('pay'),
      input.invoiceId,
      input.contactId,
      input.amount,
      input.currency,
      input.method,
      input.source,
      input.purpose,
      input.externalId,
      input.reference,
      input.memo,
      input.receivedAt,
      input.feeAmount ?? null,
      input.cardBrand ?? null,
      input.cardLast4 ?? null,
    ],
  );
  return paymentFromRow(required(row));
}

export async function getPayment(
  db: Queryable,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Payment | undefined> {
  const [row] = await db.query(
    `SELECT * FROM payments WHERE tenant_id = $1 AND id = $2${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [tenantId, id],
  );
  return row ? paymentFromRow(row) : undefined;
}

/** The payment a provider already reported under this id, if any (duplicate webhooks, retried syncs). */
export async function findPaymentByExternalId(
  db: Queryable,
  tenantId: string,
  source: PaymentSource,
  externalId: string,
): Promise<Payment | undefined> {
  const [row] = await db.query(
    'SELECT * FROM payments WHERE tenant_id = $1 AND source = $2 AND external_id = $3',
    [tenantId, source, externalId],
  );
  return row ? paymentFromRow(row) : undefined;
}

export async function setPaymentRefunded(
  tx: Queryable,
  tenantId: string,
  id: string,
  amountRefunded: number,
): Promise<Payment> {
  const [row] = await tx.query(
    'UPDATE payments SET amount_refunded = $3 WHERE tenant_id = $1 AND id = $2 RETURNING *',
    [tenantId, id, amountRefunded],
  );
  return paymentFromRow(required(row));
}

export interface PaymentFilter {
  readonly invoiceId?: string | undefined;
  readonly contactId?: string | undefined;
  readonly source?: PaymentSource | undefined;
  readonly method?: PaymentMethod | undefined;
  readonly purpose?: PaymentPurpose | undefined;
  readonly createdFrom?: string | undefined;
  readonly createdTo?: string | undefined;
  readonly cursor?: string | undefined;
  readonly limit: number;
}

export function listPayments(db: Queryable, tenantId: string, filter: PaymentFilter): Promise<Page<Payment>> {
  return listPage(
    db,
    {
      table: 'payments',
      tenantId,
      equals: {
        invoice_id: filter.invoiceId,
        contact_id: filter.contactId,
        source: filter.source,
        method: filter.method,
        purpose: filter.purpose,
      },
      createdFrom: filter.createdFrom,
      createdTo: filter.createdTo,
      cursor: filter.cursor,
      limit: filter.limit,
    },
    paymentFromRow,
  );
}

export async function insertRefund(tx: Queryable, tenantId: string, input: NewRefund): Promise<Refund> {
  const [row] = await tx.query(
    `INSERT INTO refunds (tenant_id, id, payment_id, amount, currency, reason, source, external_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      tenantId,
      newId('ref'),
      input.paymentId,
      input.amount,
      input.currency,
      input.reason,
      input.source,
      input.externalId,
    ],
  );
  return refundFromRow(required(row));
}

export async function findRefundByExternalId(
  db: Queryable,
  tenantId: string,
  source: PaymentSource,
  externalId: string,
): Promise<Refund | undefined> {
  const [row] = await db.query(
    'SELECT * FROM refunds WHERE tenant_id = $1 AND source = $2 AND external_id = $3',
    [tenantId, source, externalId],
  );
  return row ? refundFromRow(row) : undefined;
}

/** Every refund of a payment, oldest first (a payment has a handful, so no paging). */
export async function listRefunds(db: Queryable, tenantId: string, paymentId: string): Promise<Refund[]> {
  const rows = await db.query('SELECT * FROM refunds WHERE tenant_id = $1 AND payment_id = $2 ORDER BY id', [
    tenantId,
    paymentId,
  ]);
  return rows.map(refundFromRow);
}
