import type { InvoiceStatus } from '../../domain/index.js';
import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { listPage, type Page } from '../list.js';
import { required } from './contacts.js';
import { getInvoiceLines, type InvoiceLine } from './invoices-lines.js';

export interface Invoice {
  readonly id: string;
  readonly tenantId: string;
  readonly number: number;
  readonly contactId: string;
  readonly currency: string;
  readonly formType: string;
  readonly status: InvoiceStatus;
  readonly archivedFrom: InvoiceStatus | null;
  readonly subtotal: number;
  readonly discountTotal: number;
  readonly taxTotal: number;
  readonly total: number;
  readonly amountPaid: number;
  readonly amountRefunded: number;
  readonly balance: number;
  /** Calendar dates as YYYY-MM-DD: a date has no time zone, so it never travels as a Date. */
  readonly issueDate: string;
  readonly dueDate: string | null;
  readonly memo: string | null;
  readonly sentAt: Date | null;
  readonly paidAt: Date | null;
  readonly voidedAt: Date | null;
  /** The Stripe hosted invoice page, once pushed (src/integrations/stripe/sync). */
  readonly paymentLinkUrl: string | null;
  readonly stripeSyncStatus: 'pending' | 'synced' | 'failed' | null;
  readonly stripeSyncError: string | null;
  readonly quickbooksSyncStatus: 'pending' | 'synced' | 'failed' | null;
  readonly quickbooksSyncError: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type InvoiceWithLines = Invoice & { readonly lines: readonly InvoiceLine[] };

export interface NewInvoice {
  readonly number: number;
  readonly contactId: string;
  readonly currency: string;
  readonly formType: string;
  readonly totals: { subtotal: number; discount: number; tax: number; total: number };
  readonly issueDate: string;
  readonly dueDate: string | null;
  readonly memo: string | null;
}

/*
 * Both drivers turn a `date` into a Date at midnight, but one in UTC and the other in local time, so
 * dates are read as text instead. Every read of invoices goes through this projection.
 */
// The QuickBooks push keeps its state in its own table (0009); read with the invoice, one row each.
const QUICKBOOKS_SYNC = (column: string) =>
  `(SELECT q.${column} FROM quickbooks_invoice_sync q WHERE q.tenant_id = invoices.tenant_id AND q.invoice_id = invoices.id) AS quickbooks_sync_${column}`;
const INVOICE_COLUMNS = `*, issue_date::text AS issue_day, due_date::text AS due_day, ${QUICKBOOKS_SYNC('status')}, ${QUICKBOOKS_SYNC('error')}`;
const INVOICES_VIEW = `(SELECT ${INVOICE_COLUMNS} FROM invoices) AS invoices`;

export function invoiceFromRow(row: Row): Invoice {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    number: Number(row.number),
    contactId: String(row.contact_id),
    currency: String(row.currency),
    formType: String(row.form_type),
    status: row.status as InvoiceStatus,
    archivedFrom: (row.archived_from as InvoiceStatus | null) ?? null,
    subtotal: Number(row.subtotal),
    discountTotal: Number(row.discount_total),
    taxTotal: Number(row.tax_total),
    total: Number(row.total),
    amountPaid: Number(row.amount_paid),
    amountRefunded: Number(row.amount_refunded),
    balance: Number(row.balance),
    issueDate: String(row.issue_day),
    dueDate: (row.due_day as string | null) ?? null,
    memo: (row.memo as string | null) ?? null,
    sentAt: (row.sent_at as Date | null) ?? null,
    paidAt: (row.paid_at as Date | null) ?? null,
    voidedAt: (row.voided_at as Date | null) ?? null,
    paymentLinkUrl: (row.payment_link_url as string | null) ?? null,
    stripeSyncStatus: (row.stripe_sync_status as Invoice['stripeSyncStatus']) ?? null,
    stripeSyncError: (row.stripe_sync_error as string | null) ?? null,
    quickbooksSyncStatus: (row.quickbooks_sync_status as Invoice['quickbooksSyncStatus']) ?? null,
    quickbooksSyncError: (row.quickbooks_sync_error as string | null) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

/**
 * Takes the tenant's next invoice number. The UPDATE locks the tenant row until the transaction ends,
 * so concurrent invoices get distinct consecutive numbers, and a rolled-back invoice gives its number
 * back (no gaps from failures; only deleting a draft leaves one).
 */
export async function takeInvoiceNumber(tx: Queryable, tenantId: string): Promise<number> {
  const [row] = await tx.query(
    `UPDATE tenants SET next_invoice_number = next_invoice_number + 1 WHERE id = $1
     RETURNING next_invoice_number - 1 AS number`,
    [tenantId],
  );
  return Number(required(row).number);
}

export async function insertInvoice(tx: Queryable, tenantId: string, input: NewInvoice): Promise<Invoice> {
  const { totals } = input;
  const [row] = await tx.query(
    `INSERT INTO invoices (tenant_id, id, number, contact_id, currency, form_type, status, subtotal,
       discount_total, tax_total, total, balance, issue_date, due_date, memo)
     VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $10, $10, $11, $12, $13)
     RETURNING ${INVOICE_COLUMNS}`,
    [
      tenantId,
      newId('inv'),
      input.number,
      input.contactId,
      input.currency,
      input.formType,
      totals.subtotal,
      totals.discount,
      totals.tax,
      totals.total,
      input.issueDate,
      input.dueDate,
      input.memo,
    ],
  );
  return invoiceFromRow(required(row));
}

export async function getInvoice(
  db: Queryable,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Invoice | undefined> {
  const [row] = await db.query(
    `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE tenant_id = $1 AND id = $2${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [tenantId, id],
  );
  return row ? invoiceFromRow(row) : undefined;
}

export async function withLines(db: Queryable, invoice: Invoice): Promise<InvoiceWithLines> {
  const lines = await getInvoiceLines(db, invoice.tenantId, [invoice.id]);
  return { ...invoice, lines: lines.get(invoice.id) ?? [] };
}

/** Columns a service may change after creation; names come from this table, never from a request. */
const PATCHABLE = {
  status: 'status',
  archivedFrom: 'archived_from',
  subtotal: 'subtotal',
  discountTotal: 'discount_total',
  taxTotal: 'tax_total',
  total: 'total',
  amountPaid: 'amount_paid',
  amountRefunded: 'amount_refunded',
  balance: 'balance',
  dueDate: 'due_date',
  memo: 'memo',
} as const;

export type InvoicePatch = Partial<Pick<Invoice, keyof typeof PATCHABLE>> & {
  /** Timestamps the database sets to now() (one clock for every row in the transaction). */
  readonly stamp?: 'sent_at' | 'paid_at' | 'voided_at' | undefined;
};

export async function updateInvoice(
  tx: Queryable,
  tenantId: string,
  id: string,
  patch: InvoicePatch,
): Promise<Invoice> {
  const params: unknown[] = [tenantId, id];
  const sets = ['updated_at = now()'];
  for (const [key, column] of Object.entries(PATCHABLE)) {
    const value = patch[key as keyof typeof PATCHABLE];
    if (value === undefined) continue;
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  }
  if (patch.stamp) sets.push(`${patch.stamp} = now()`);
  const [row] = await tx.query(
    `UPDATE invoices SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2 RETURNING ${INVOICE_COLUMNS}`,
    params,
  );
  return invoiceFromRow(required(row));
}

export async function deleteInvoice(tx: Queryable, tenantId: string, id: string): Promise<void> {
  await tx.query('DELETE FROM invoices WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
}

export interface InvoiceFilter {
  readonly status?: InvoiceStatus | undefined;
  readonly contactId?: string | undefined;
  readonly number?: number | undefined;
  readonly createdFrom?: string | undefined;
  readonly createdTo?: string | undefined;
  readonly dueFrom?: string | undefined;
  readonly dueTo?: string | undefined;
  readonly cursor?: string | undefined;
  readonly limit: number;
}

export async function listInvoices(
  db: Queryable,
  tenantId: string,
  filter: InvoiceFilter,
): Promise<Page<InvoiceWithLines>> {
  const page = await listPage(
    db,
    {
      table: INVOICES_VIEW,
      tenantId,
      equals: {
        status: filter.status,
        contact_id: filter.contactId,
        number: filter.number === undefined ? undefined : String(filter.number),
      },
      createdFrom: filter.createdFrom,
      createdTo: filter.createdTo,
      dateColumn: { column: 'due_date', from: filter.dueFrom, to: filter.dueTo },
      cursor: filter.cursor,
      limit: filter.limit,
    },
    invoiceFromRow,
  );
  const lines = await getInvoiceLines(
    db,
    tenantId,
    page.data.map((invoice) => invoice.id),
  );
  return {
    data: page.data.map((invoice) => ({ ...invoice, lines: lines.get(invoice.id) ?? [] })),
    nextCursor: page.nextCursor,
  };
}
