import { z } from 'zod';

/*
 * What a person types into QuickBooks, shared by the admin JSON API and the HTML forms. Amounts are
 * decimal strings as typed ("40", "12.50"); a JSON number is accepted and read as its decimal text.
 */
const decimalText = (pattern: RegExp, what: string) =>
  z
    .union([z.string(), z.number().finite()])
    .transform((value) => String(value).trim())
    .refine((value) => pattern.test(value), { message: `${what} must be a plain decimal number` });

/** Money: at most two decimals, positive. */
export const money = decimalText(/^\d{1,13}(\.\d{1,2})?$/, 'an amount').refine((value) => Number(value) > 0, {
  message: 'an amount must be more than zero',
});
export const quantity = decimalText(/^\d{1,13}(\.\d{1,6})?$/, 'a quantity');
export const unitPrice = decimalText(/^-?\d{1,13}(\.\d{1,6})?$/, 'a unit price');
export const isoDate = z.iso.date();
const id = z.string().trim().min(1).max(64);

/** One invoice line: an item (priced from the item unless a price is given) or a plain amount. */
export const lineInput = z
  .object({
    itemId: id.optional(),
    description: z.string().max(4000).optional(),
    amount: money.optional(),
    qty: quantity.optional(),
    unitPrice: unitPrice.optional(),
  })
  .refine((line) => line.itemId !== undefined || line.amount !== undefined || line.unitPrice !== undefined, {
    message: 'a line needs an itemId, an amount or a unitPrice',
  });
export type LineInput = z.infer<typeof lineInput>;

export const paymentInput = z.object({
  /** Omitted: the invoice's whole open balance. */
  amount: money.optional(),
  /** The payment's TxnDate; omitted, QuickBooks uses today. */
  date: isoDate.optional(),
  /** Omitted, QuickBooks deposits to Undeposited Funds. */
  depositToAccountId: id.optional(),
});
export type PaymentInput = z.infer<typeof paymentInput>;

export const lineChange = z
  .object({
    lineId: id,
    qty: quantity.optional(),
    unitPrice: unitPrice.optional(),
    description: z.string().max(4000).optional(),
  })
  .refine(
    (change) =>
      change.qty !== undefined || change.unitPrice !== undefined || change.description !== undefined,
    {
      message: 'a line change sets qty, unitPrice or description',
    },
  );
export type LineChange = z.infer<typeof lineChange>;

export const invoiceEdit = z
  .object({
    dueDate: isoDate.optional(),
    lines: z.array(lineChange).max(100).optional(),
    addLines: z.array(lineInput).max(100).optional(),
  })
  .refine(
    (edit) => edit.dueDate !== undefined || (edit.lines?.length ?? 0) > 0 || (edit.addLines?.length ?? 0) > 0,
    {
      message: 'an edit sets dueDate, changes lines or adds lines',
    },
  );
export type InvoiceEdit = z.infer<typeof invoiceEdit>;

export const customerInput = z.object({
  displayName: z.string().trim().min(1).max(500),
  email: z.email().max(100).optional(),
});
export type CustomerInput = z.infer<typeof customerInput>;

export const invoiceInput = z.object({
  customerId: id,
  lines: z.array(lineInput).min(1).max(250),
  docNumber: z.string().trim().min(1).max(21).optional(),
  txnDate: isoDate.optional(),
  dueDate: isoDate.optional(),
});
export type InvoiceInput = z.infer<typeof invoiceInput>;
