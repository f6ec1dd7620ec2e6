import { z } from 'zod';
import {
  PAYMENT_METHODS,
  PAYMENT_SOURCES,
  type PaymentMethod,
  type PaymentSource,
} from '../../domain/index.js';
import type { Payment, PaymentPurpose, Refund } from '../../store/repositories/payments.js';
import { currencyCode, iso, isoTimestamp, positiveMinorUnits } from '../schemas/common.js';

export const paymentMethod = z.enum(PAYMENT_METHODS as [PaymentMethod, ...PaymentMethod[]]);
export const paymentSource = z.enum(PAYMENT_SOURCES as [PaymentSource, ...PaymentSource[]]);
export const paymentPurpose = z.enum([
  'invoice',
  'order_form',
  'subscription',
  'membership',
  'calendar_booking',
  'other',
] satisfies PaymentPurpose[]);

const externalId = z
  .string()
  .min(1)
  .max(255)
  .describe(
    'The provider’s id (e.g. a Stripe charge); recording the same (source, external_id) again is a no-op',
  );

export const createPaymentBody = z
  .object({
    invoice_id: z.string().min(1).max(64).optional(),
    contact_id: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("Required without invoice_id; defaults to the invoice's"),
    amount: positiveMinorUnits,
    currency: currencyCode,
    method: paymentMethod,
    source: paymentSource.default('manual'),
    external_id: externalId.optional(),
    reference: z.string().max(200).optional().describe('Check number, bank reference, …'),
    memo: z.string().max(2000).optional(),
    received_at: z.iso.datetime({ offset: true }).optional().describe('When the money arrived; default now'),
    purpose: paymentPurpose
      .optional()
      .describe("'invoice' when invoice_id is set (the default); otherwise required and not 'invoice'"),
  })
  .strict();

export const createRefundBody = z
  .object({
    amount: positiveMinorUnits,
    reason: z.string().max(500).optional(),
    source: paymentSource.default('manual'),
    external_id: externalId.optional(),
  })
  .strict();

export const paymentListQuery = z.object({
  invoice_id: z.string().max(64).optional(),
  contact_id: z.string().max(64).optional(),
  source: paymentSource.optional(),
  method: paymentMethod.optional(),
  purpose: paymentPurpose.optional(),
});

export const paymentSchema = z
  .object({
    id: z.string(),
    object: z.literal('payment'),
    invoice_id: z.string().nullable(),
    contact_id: z.string(),
    amount: z.number().int(),
    amount_refunded: z.number().int(),
    currency: z.string(),
    method: paymentMethod,
    source: paymentSource,
    purpose: paymentPurpose,
    external_id: z.string().nullable(),
    reference: z.string().nullable(),
    memo: z.string().nullable(),
    received_at: isoTimestamp,
    fee_amount: z
      .number()
      .int()
      .nullable()
      .describe('What the processor kept (Stripe’s fee), in minor units; null when unknown'),
    card_brand: z.string().nullable().describe('The card that paid (visa, mastercard…), when known'),
    card_last4: z.string().nullable().describe('Its last four digits, when known'),
    stripe_payout_id: z
      .string()
      .nullable()
      .describe('The Stripe payout (po_…) that carried the payment to the bank, once paid out'),
    created_at: isoTimestamp,
  })
  .meta({ id: 'Payment' });

export const refundSchema = z
  .object({
    id: z.string(),
    object: z.literal('refund'),
    payment_id: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    reason: z.string().nullable(),
    source: paymentSource,
    external_id: z.string().nullable(),
    created_at: isoTimestamp,
  })
  .meta({ id: 'Refund' });

export function paymentJson(payment: Payment): z.infer<typeof paymentSchema> {
  return {
    id: payment.id,
    object: 'payment',
    invoice_id: payment.invoiceId,
    contact_id: payment.contactId,
    amount: payment.amount,
    amount_refunded: payment.amountRefunded,
    currency: payment.currency,
    method: payment.method,
    source: payment.source,
    purpose: payment.purpose,
    external_id: payment.externalId,
    reference: payment.reference,
    memo: payment.memo,
    received_at: iso(payment.receivedAt),
    fee_amount: payment.feeAmount,
    card_brand: payment.cardBrand,
    card_last4: payment.cardLast4,
    stripe_payout_id: payment.stripePayoutId,
    created_at: iso(payment.createdAt),
  };
}

export function refundJson(refund: Refund): z.infer<typeof refundSchema> {
  return {
    id: refund.id,
    object: 'refund',
    payment_id: refund.paymentId,
    amount: refund.amount,
    currency: refund.currency,
    reason: refund.reason,
    source: refund.source,
    external_id: refund.externalId,
    created_at: iso(refund.createdAt),
  };
}
