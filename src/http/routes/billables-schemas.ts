import { z } from 'zod';
import { BILLABLE_STATUSES } from '../../domain/billable-status.js';
import type { Billable } from '../../store/repositories/billables.js';
import { PARENT_TYPES } from '../../store/repositories/parents.js';
import { currencyCode, iso, isoTimestamp, minorUnits, positiveMinorUnits } from '../schemas/common.js';
import { percentRate, positiveQuantity } from '../schemas/decimals.js';
import { amountPreview } from './billables-input.js';

const discount = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('percent'), rate: percentRate }).strict(),
    z.object({ kind: z.literal('amount'), amount: positiveMinorUnits }).strict(),
  ])
  .describe('A percentage of the line, or a fixed amount in minor units of the billable’s currency');

const editable = {
  description: z.string().trim().min(1).max(2000),
  quantity: positiveQuantity,
  unit_price: minorUnits.describe('Minor units; defaults to the service’s catalog price'),
  currency: currencyCode,
  discount: discount.nullable(),
  tax_rate: percentRate.nullable(),
  tax_inclusive: z.boolean(),
};

export const createBillable = z
  .object({
    parent_type: z.enum(PARENT_TYPES),
    parent_id: z.string().min(1).max(64),
    contact_id: z.string().min(1).max(64).optional().describe('Defaults to the parent’s contact'),
    service_id: z.string().min(1).max(64).nullable().optional(),
    ...editable,
    description: editable.description.optional(),
    quantity: editable.quantity.default('1'),
    unit_price: editable.unit_price.optional(),
    currency: editable.currency.optional(),
    discount: editable.discount.default(null),
    tax_rate: editable.tax_rate.optional(),
    tax_inclusive: editable.tax_inclusive.optional(),
  })
  .strict();

export const patchBody = z.object(editable).partial().strict();

const discountOut = z
  .union([
    z.object({ kind: z.literal('percent'), rate: z.string() }),
    z.object({ kind: z.literal('amount'), amount: z.number().int() }),
  ])
  .meta({ id: 'Discount' });

export const billableSchema = z
  .object({
    id: z.string(),
    object: z.literal('billable'),
    parent_type: z.enum(PARENT_TYPES),
    parent_id: z.string(),
    contact_id: z.string(),
    service_id: z.string().nullable(),
    description: z.string(),
    quantity: z.string(),
    unit_price: z.number().int(),
    currency: z.string(),
    discount: discountOut.nullable(),
    tax_rate: z.string().nullable(),
    tax_inclusive: z.boolean(),
    status: z.enum(BILLABLE_STATUSES),
    invoice_id: z.string().nullable(),
    amount_preview: z
      .object({
        gross: z.number(),
        discount: z.number(),
        net: z.number(),
        tax: z.number(),
        total: z.number(),
      })
      .meta({ id: 'LineAmounts' })
      .describe('What this billable would add to an invoice, in minor units, computed by the invoice maths'),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .meta({ id: 'Billable' });

export const deletedSchema = z
  .object({ id: z.string(), object: z.literal('billable'), deleted: z.literal(true) })
  .meta({ id: 'DeletedBillable' });

export function billableJson(billable: Billable): z.infer<typeof billableSchema> {
  const { gross, discount: discounted, net, tax, total } = amountPreview(billable);
  return {
    id: billable.id,
    object: 'billable',
    parent_type: billable.parentType,
    parent_id: billable.parentId,
    contact_id: billable.contactId,
    service_id: billable.serviceId,
    description: billable.description,
    quantity: billable.quantity,
    unit_price: billable.unitPrice,
    currency: billable.currency,
    discount: billable.discount,
    tax_rate: billable.taxRate,
    tax_inclusive: billable.taxInclusive,
    status: billable.status,
    invoice_id: billable.invoiceId,
    amount_preview: { gross, discount: discounted, net, tax, total },
    created_at: iso(billable.createdAt),
    updated_at: iso(billable.updatedAt),
  };
}
