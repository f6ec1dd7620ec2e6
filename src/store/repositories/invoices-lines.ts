/** Invoice lines: stored priced, in position order; read back in the same shape the billing service wrote. */
import type { Discount, LineTotals } from '../../domain/index.js';
import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';

export interface InvoiceLine {
  readonly id: string;
  readonly invoiceId: string;
  readonly position: number;
  readonly billableId: string | null;
  readonly serviceId: string | null;
  readonly description: string;
  readonly quantity: string;
  readonly unitPrice: number;
  readonly discount: Discount | null;
  readonly taxRate: string | null;
  readonly taxInclusive: boolean;
  readonly amounts: LineTotals;
}

/** A line as priced by the billing service, ready to store. */
export type NewInvoiceLine = Omit<InvoiceLine, 'id' | 'invoiceId' | 'position'>;

export function invoiceLineFromRow(row: Row): InvoiceLine {
  const kind = row.discount_kind as 'percent' | 'amount' | null;
  const value = String(row.discount_value);
  return {
    id: String(row.id),
    invoiceId: String(row.invoice_id),
    position: Number(row.position),
    billableId: (row.billable_id as string | null) ?? null,
    serviceId: (row.service_id as string | null) ?? null,
    description: String(row.description),
    quantity: trimDecimal(String(row.quantity)),
    unitPrice: Number(row.unit_price),
    discount:
      kind === 'percent' ? { kind, rate: value } : kind === 'amount' ? { kind, amount: Number(value) } : null,
    taxRate: row.tax_rate === null || row.tax_rate === undefined ? null : trimDecimal(String(row.tax_rate)),
    taxInclusive: Boolean(row.tax_inclusive),
    amounts: {
      gross: Number(row.gross_amount),
      discount: Number(row.discount_amount),
      net: Number(row.net_amount),
      tax: Number(row.tax_amount),
      total: Number(row.total_amount),
    },
  };
}

/** numeric(18,6) reads back as "1.500000"; show what was meant ("1.5"). */
export function trimDecimal(value: string): string {
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value;
}

const LINE_COLUMNS = 18;

/** Stores lines in the order given (position 1, 2, …) in one statement. */
export async function insertInvoiceLines(
  tx: Queryable,
  tenantId: string,
  invoiceId: string,
  lines: readonly NewInvoiceLine[],
): Promise<InvoiceLine[]> {
  if (lines.length === 0) return [];
  const params: unknown[] = [];
  const tuples = lines.map((line, index) => {
    const { discount, amounts } = line;
    params.push(
      tenantId,
      newId('iln'),
      invoiceId,
      index + 1,
      line.billableId,
      line.serviceId,
      line.description,
      line.quantity,
      line.unitPrice,
      discount?.kind ?? null,
      discount === null ? null : String(discount.kind === 'percent' ? discount.rate : discount.amount),
      line.taxRate,
      line.taxInclusive,
      amounts.gross,
      amounts.discount,
      amounts.net,
      amounts.tax,
      amounts.total,
    );
    const slots = Array.from({ length: LINE_COLUMNS }, (_, i) => `$${index * LINE_COLUMNS + i + 1}`);
    return `(${slots.join(', ')})`;
  });
  const rows = await tx.query(
    `INSERT INTO invoice_lines (tenant_id, id, invoice_id, position, billable_id, service_id, description,
       quantity, unit_price, discount_kind, discount_value, tax_rate, tax_inclusive, gross_amount,
       discount_amount, net_amount, tax_amount, total_amount)
     VALUES ${tuples.join(', ')} RETURNING *`,
    params,
  );
  return rows.map(invoiceLineFromRow).sort((a, b) => a.position - b.position);
}

export async function deleteInvoiceLines(tx: Queryable, tenantId: string, invoiceId: string): Promise<void> {
  await tx.query('DELETE FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = $2', [tenantId, invoiceId]);
}

/** Lines of several invoices at once (a list page), keyed by invoice id, each in position order. */
export async function getInvoiceLines(
  db: Queryable,
  tenantId: string,
  invoiceIds: readonly string[],
): Promise<Map<string, InvoiceLine[]>> {
  const byInvoice = new Map<string, InvoiceLine[]>(invoiceIds.map((id) => [id, []]));
  if (invoiceIds.length === 0) return byInvoice;
  const rows = await db.query(
    'SELECT * FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = ANY($2) ORDER BY invoice_id, position',
    [tenantId, [...invoiceIds]],
  );
  for (const line of rows.map(invoiceLineFromRow)) byInvoice.get(line.invoiceId)?.push(line);
  return byInvoice;
}
