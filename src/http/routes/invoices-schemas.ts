import { z } from 'zod';
import type { LineDraft } from '../../billing/lines.js';
import { INVOICE_STATUSES, type InvoiceStatus } from '../../domain/index.js';
import type { InvoiceWithLines } from '../../store/repositories/invoices.js';
import type { InvoiceLine } from '../../store/repositories/invoices-lines.js';
import type { InvoiceEvent } from '../../store/repositories/timeline.js';
import { currencyCode, iso, isoOrNull, isoTimestamp, minorUnits } from '../schemas/common.js';

export const invoiceStatus = z.enum(INVOICE_STATUSES as [InvoiceStatus, ...InvoiceStatus[]]);

// numeric(18, 6) holds 12 integer digits; the domain allows more, the column does not.
const quantity = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,6})?$/, 'must be a decimal string with at most 6 fraction digits, e.g. "1.5"')
  .describe('Quantity as a decimal string, e.g. "1.5" hours');
const rate = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,4})?$/, 'must be a percentage string with at most 4 fraction digits, e.g. "8.875"')
  .describe('Percentage as a decimal string, e.g. "8.875"');

const discount = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('percent'), rate }).strict(),
  z
    .object({ kind: z.literal('amount'), amount: minorUnits.describe('Off the whole line, minor units') })
    .strict(),
]);

// Responses describe what is stored, so they are not held to the input rules (which may tighten later).
const discountOut = z.union([
  z.object({ kind: z.literal('percent'), rate: z.string() }),
  z.object({ kind: z.literal('amount'), amount: z.number().int() }),
]);

export const lineInput = z
  .object({
    description: z.string().trim().min(1).max(500),
    quantity,
    unit_price: minorUnits,
    service_id: z.string().min(1).max(64).optional(),
    discount: discount.optional(),
    tax_rate: rate.optional(),
    tax_inclusive: z.boolean().default(false).describe('unit_price already includes tax_rate'),
  })
  .strict();

const lines = z.array(lineInput).min(1).max(500);
const dueDate = z.iso.date().describe('YYYY-MM-DD');
const memo = z.string().max(2000);
const formType = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be a lowercase slug such as "invoice"')
  .default('invoice')
  .describe('Which document template the invoice uses; "invoice" unless the CRM says otherwise');

export const createFromBillables = z
  .object({
    billable_ids: z.array(z.string().min(1).max(64)).min(1).max(500),
    due_date: dueDate.optional(),
    memo: memo.optional(),
    form_type: formType,
  })
  .strict();

export const createInvoiceBody = z
  .object({
    contact_id: z.string().min(1).max(64),
    currency: currencyCode,
    lines,
    due_date: dueDate.optional(),
    memo: memo.optional(),
    form_type: formType,
  })
  .strict();

export const patchInvoiceBody = z
  .object({ due_date: dueDate.nullable(), memo: memo.nullable(), lines })
  .partial()
  .strict();

export const invoiceListQuery = z.object({
  status: invoiceStatus.optional(),
  contact_id: z.string().max(64).optional(),
  number: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
  due_from: dueDate.optional(),
  due_to: dueDate.optional(),
});

export function lineDraft(line: z.infer<typeof lineInput>): LineDraft {
  return {
    description: line.description,
    quantity: line.quantity,
    unitPrice: line.unit_price,
    serviceId: line.service_id ?? null,
    billableId: null,
    discount: line.discount ?? null,
    taxRate: line.tax_rate ?? null,
    taxInclusive: line.tax_inclusive,
  };
}

const lineSchema = z
  .object({
    id: z.string(),
    object: z.literal('invoice_line'),
    position: z.number().int(),
    billable_id: z.string().nullable(),
    service_id: z.string().nullable(),
    description: z.string(),
    quantity: z.string(),
    unit_price: z.number().int(),
    discount: discountOut.nullable(),
    tax_rate: z.string().nullable(),
    tax_inclusive: z.boolean(),
    amounts: z
      .object({
        gross: z.number().int().describe('round(quantity × unit_price)'),
        discount: z.number().int(),
        net: z.number().int().describe('after discount, excluding tax'),
        tax: z.number().int(),
        total: z.number().int().describe('net + tax: what this line adds to the invoice'),
      })
      .describe('Minor units, computed by the invoice maths (same shape as a billable’s amount_preview)'),
  })
  .meta({ id: 'InvoiceLine' });

export const invoiceSchema = z
  .object({
    id: z.string(),
    object: z.literal('invoice'),
    number: z.number().int(),
    contact_id: z.string(),
    currency: z.string(),
    form_type: z.string(),
    status: invoiceStatus,
    archived_from: invoiceStatus.nullable(),
    subtotal: z.number().int().describe('Σ (net + discount): before discounts and added tax'),
    discount_total: z.number().int(),
    tax_total: z.number().int(),
    total: z.number().int().describe('subtotal − discount_total + tax_total'),
    amount_paid: z.number().int(),
    amount_refunded: z.number().int(),
    balance: z.number().int().describe('total − amount_paid'),
    issue_date: z.string(),
    due_date: z.string().nullable(),
    memo: z.string().nullable(),
    sent_at: isoTimestamp.nullable(),
    paid_at: isoTimestamp.nullable(),
    voided_at: isoTimestamp.nullable(),
    payment_link_url: z
      .string()
      .nullable()
      .describe('The Stripe hosted invoice page where the customer pays, once the invoice is in Stripe'),
    stripe_sync: z
      .object({
        status: z.enum(['pending', 'synced', 'failed']).nullable(),
        error: z.string().nullable(),
      })
      .describe('Where the push to Stripe stands (status null: never pushed), and why it failed'),
    quickbooks_sync: z
      .object({
        status: z.enum(['pending', 'synced', 'failed']).nullable(),
        error: z.string().nullable(),
      })
      .describe('Where the push to QuickBooks Online stands (status null: never pushed), and why it failed'),
    lines: z.array(lineSchema),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .meta({ id: 'Invoice' });

function lineJson(line: InvoiceLine): z.infer<typeof lineSchema> {
  return {
    id: line.id,
    object: 'invoice_line',
    position: line.position,
    billable_id: line.billableId,
    service_id: line.serviceId,
    description: line.description,
    quantity: line.quantity,
    unit_price: line.unitPrice,
    discount: line.discount === null ? null : { ...line.discount },
    tax_rate: line.taxRate,
    tax_inclusive: line.taxInclusive,
    amounts: { ...line.amounts },
  };
}

export function invoiceJson(invoice: InvoiceWithLines): z.infer<typeof invoiceSchema> {
  return {
    id: invoice.id,
    object: 'invoice',
    number: invoice.number,
    contact_id: invoice.contactId,
    currency: invoice.currency,
    form_type: invoice.formType,
    status: invoice.status,
    archived_from: invoice.archivedFrom,
    subtotal: invoice.subtotal,
    discount_total: invoice.discountTotal,
    tax_total: invoice.taxTotal,
    total: invoice.total,
    amount_paid: invoice.amountPaid,
    amount_refunded: invoice.amountRefunded,
    balance: invoice.balance,
    issue_date: invoice.issueDate,
    due_date: invoice.dueDate,
    memo: invoice.memo,
    sent_at: isoOrNull(invoice.sentAt),
    paid_at: isoOrNull(invoice.paidAt),
    voided_at: isoOrNull(invoice.voidedAt),
    payment_link_url: invoice.paymentLinkUrl,
    stripe_sync: { status: invoice.stripeSyncStatus, error: invoice.stripeSyncError },
    quickbooks_sync: { status: invoice.quickbooksSyncStatus, error: invoice.quickbooksSyncError },
    lines: invoice.lines.map(lineJson),
    created_at: iso(invoice.createdAt),
    updated_at: iso(invoice.updatedAt),
  };
}

export const invoiceEventSchema = z
  .object({
    id: z.string(),
    object: z.literal('invoice_event'),
    occurred_at: isoTimestamp,
    actor: z.string(),
    system: z.enum(['ledgerbridge', 'stripe', 'quickbooks']),
    kind: z.string(),
    message: z.string(),
    data: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'InvoiceEvent' });

export function invoiceEventJson(event: InvoiceEvent): z.infer<typeof invoiceEventSchema> {
  return {
    id: event.id,
    object: 'invoice_event',
    occurred_at: iso(event.occurredAt),
    actor: event.actor,
    system: event.system,
    kind: event.kind,
    message: event.message,
    data: event.data === null ? null : { ...event.data },
  };
}
