import type { BillableStatus } from '../../domain/billable-status.js';
import type { Discount } from '../../domain/invoice-math.js';
import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { listPage, type Page } from '../list.js';
import { decimalOrNull, decimalText, lockClause, type RowLock } from './columns.js';
import { required } from './contacts.js';
import type { ParentType } from './parents.js';

/** Something done or sold for a contact, waiting to go onto an invoice. Prices are copied, not linked. */
export interface Billable {
  readonly id: string;
  readonly tenantId: string;
  readonly parentType: ParentType;
  readonly parentId: string;
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
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type BillableInput = Omit<
  Billable,
  'id' | 'tenantId' | 'status' | 'invoiceId' | 'createdAt' | 'updatedAt'
>;

function discountFromColumns(kind: unknown, value: unknown): Discount | null {
  if (kind === 'percent') return { kind, rate: decimalText(value) };
  if (kind === 'amount') return { kind, amount: Number(value) };
  return null;
}

function discountColumns(discount: Discount | null): [string | null, string | null] {
  if (discount === null) return [null, null];
  return discount.kind === 'percent' ? ['percent', discount.rate] : ['amount', String(discount.amount)];
}

export function billableFromRow(row: Row): Billable {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    parentType: row.parent_type as ParentType,
    parentId: String(row.parent_id),
    contactId: String(row.contact_id),
    serviceId: (row.service_id as string | null) ?? null,
    description: String(row.description),
    quantity: decimalText(row.quantity),
    unitPrice: Number(row.unit_price),
    currency: String(row.currency),
    discount: discountFromColumns(row.discount_kind, row.discount_value),
    taxRate: decimalOrNull(row.tax_rate),
    taxInclusive: Boolean(row.tax_inclusive),
    status: row.status as BillableStatus,
    invoiceId: (row.invoice_id as string | null) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

export async function insertBillable(
  db: Queryable,
  tenantId: string,
  input: BillableInput,
): Promise<Billable> {
  const [row] = await db.query(
    `INSERT INTO billables (tenant_id, id, parent_type, parent_id, contact_id, service_id, description,
       quantity, unit_price, currency, discount_kind, discount_value, tax_rate, tax_inclusive)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
    [
      tenantId,
      newId('bil'),
      input.parentType,
      input.parentId,
      input.contactId,
      input.serviceId,
      input.description,
      input.quantity,
      input.unitPrice,
      input.currency,
      ...discountColumns(input.discount),
      input.taxRate,
      input.taxInclusive,
    ],
  );
  return billableFromRow(required(row));
}

export async function getBillable(
  db: Queryable,
  tenantId: string,
  id: string,
  lock?: RowLock,
): Promise<Billable | undefined> {
  const [row] = await db.query(
    `SELECT * FROM billables WHERE tenant_id = $1 AND id = $2${lockClause(lock)}`,
    [tenantId, id],
  );
  return row ? billableFromRow(row) : undefined;
}

/** Writes the editable fields of `billable` (read FOR UPDATE and merged by the caller). */
export async function updateBillable(db: Queryable, billable: Billable): Promise<Billable> {
  const [row] = await db.query(
    `UPDATE billables SET description = $3, quantity = $4, unit_price = $5, currency = $6,
       discount_kind = $7, discount_value = $8, tax_rate = $9, tax_inclusive = $10, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 RETURNING *`,
    [
      billable.tenantId,
      billable.id,
      billable.description,
      billable.quantity,
      billable.unitPrice,
      billable.currency,
      ...discountColumns(billable.discount),
      billable.taxRate,
      billable.taxInclusive,
    ],
  );
  return billableFromRow(required(row));
}

export async function deleteBillable(db: Queryable, tenantId: string, id: string): Promise<void> {
  await db.query('DELETE FROM billables WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
}

/** Whether any billable of the parent is for a contact other than `contactId`. */
export async function parentHasBillablesForOtherContact(
  db: Queryable,
  tenantId: string,
  parentType: ParentType,
  parentId: string,
  contactId: string,
): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM billables
     WHERE tenant_id = $1 AND parent_type = $2 AND parent_id = $3 AND contact_id <> $4 LIMIT 1`,
    [tenantId, parentType, parentId, contactId],
  );
  return rows.length > 0;
}

export interface BillableFilter {
  readonly status?: BillableStatus | undefined;
  readonly contactId?: string | undefined;
  readonly parentType?: ParentType | undefined;
  readonly parentId?: string | undefined;
  readonly currency?: string | undefined;
  readonly createdFrom?: string | undefined;
  readonly createdTo?: string | undefined;
  readonly cursor?: string | undefined;
  readonly limit: number;
}

export function listBillables(
  db: Queryable,
  tenantId: string,
  filter: BillableFilter,
): Promise<Page<Billable>> {
  return listPage(
    db,
    {
      table: 'billables',
      tenantId,
      equals: {
        status: filter.status,
        contact_id: filter.contactId,
        parent_type: filter.parentType,
        parent_id: filter.parentId,
        currency: filter.currency,
      },
      createdFrom: filter.createdFrom,
      createdTo: filter.createdTo,
      cursor: filter.cursor,
      limit: filter.limit,
    },
    billableFromRow,
  );
}
