import {
  type BillableAction,
  type BillableStatus,
  type Discount,
  transitionBillable,
} from '../../domain/index.js';
import type { Queryable, Row } from '../db.js';
import { trimDecimal } from './invoices-lines.js';

/*
 * The billables queries invoicing needs: locking items onto an invoice and moving them along with it.
 * The billables CRUD itself lives in billables.ts (another module); these are kept here so that every
 * status change an invoice causes is made through the billable state machine in one place.
 */

export interface BillableForInvoice {
  readonly id: string;
  readonly contactId: string;
  readonly serviceId: string | null;
  readonly description: string;
  readonly quantity: string;
  readonly unitPrice: number;
  readonly currency: string;
  readonly discount: Discount | null;
  readonly taxRate: string | null;
  readonly taxInclusive: boolean;
  readonly status: BillableStatus;
  readonly invoiceId: string | null;
}

function billableFromRow(row: Row): BillableForInvoice {
  const kind = row.discount_kind as 'percent' | 'amount' | null;
  const value = String(row.discount_value);
  return {
    id: String(row.id),
    contactId: String(row.contact_id),
    serviceId: (row.service_id as string | null) ?? null,
    description: String(row.description),
    quantity: trimDecimal(String(row.quantity)),
    unitPrice: Number(row.unit_price),
    currency: String(row.currency),
    discount:
      kind === 'percent' ? { kind, rate: value } : kind === 'amount' ? { kind, amount: Number(value) } : null,
    taxRate: row.tax_rate === null || row.tax_rate === undefined ? null : trimDecimal(String(row.tax_rate)),
    taxInclusive: Boolean(row.tax_inclusive),
    status: row.status as BillableStatus,
    invoiceId: (row.invoice_id as string | null) ?? null,
  };
}

/**
 * Locks the given billables of one tenant until the transaction ends. Rows are locked in id order so
 * two requests over overlapping sets queue behind each other instead of deadlocking; the second then
 * reads the status the first committed. Returns them in the order asked for; missing ids are absent.
 */
export async function lockBillables(
  tx: Queryable,
  tenantId: string,
  ids: readonly string[],
): Promise<BillableForInvoice[]> {
  const rows = await tx.query(
    'SELECT * FROM billables WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE',
    [tenantId, [...ids]],
  );
  const byId = new Map(rows.map((row) => [String(row.id), billableFromRow(row)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Puts locked, unbilled billables on an invoice (the state machine refuses anything else). */
export async function invoiceBillables(
  tx: Queryable,
  tenantId: string,
  billables: readonly BillableForInvoice[],
  invoiceId: string,
): Promise<void> {
  if (billables.length === 0) return;
  for (const billable of billables) transitionBillable(billable.status, 'invoice');
  await tx.query(
    `UPDATE billables SET status = 'invoiced', invoice_id = $3, updated_at = now()
     WHERE tenant_id = $1 AND id = ANY($2)`,
    [tenantId, billables.map((b) => b.id), invoiceId],
  );
}

/**
 * Moves every billable on an invoice along with it: `release` (draft deleted, lines replaced, invoice
 * voided) frees them to be billed again; `mark_paid` follows the invoice being paid in full. Returns
 * the ids moved.
 */
export async function moveInvoiceBillables(
  tx: Queryable,
  tenantId: string,
  invoiceId: string,
  action: Extract<BillableAction, 'release' | 'mark_paid'>,
): Promise<string[]> {
  const rows = await tx.query(
    'SELECT * FROM billables WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY id FOR UPDATE',
    [tenantId, invoiceId],
  );
  const billables = rows.map(billableFromRow);
  if (billables.length === 0) return [];
  const statuses = new Set(billables.map((b) => transitionBillable(b.status, action)));
  const [next] = [...statuses];
  // One action from one status always lands on one status; more would mean mixed items on the invoice.
  if (statuses.size !== 1 || next === undefined) throw new Error(`billables of ${invoiceId} diverged`);
  const ids = billables.map((b) => b.id);
  await tx.query(
    `UPDATE billables SET status = $3, invoice_id = $4, updated_at = now()
     WHERE tenant_id = $1 AND id = ANY($2)`,
    [tenantId, ids, next, next === 'unbilled' ? null : invoiceId],
  );
  return ids;
}
