import type Stripe from 'stripe';
import { recordRefundInTransaction } from '../../../billing/refunds.js';
import {
  CurrencyMismatchError,
  money,
  RefundExceedsPaymentError,
  toDecimalString,
} from '../../../domain/index.js';
import { findPaymentByExternalId } from '../../../store/repositories/payments.js';
import { openAccess, readAll } from './context.js';
import { NotStoredYetError } from './errors.js';
import { defineHandler, ignored, processed } from './handler.js';
import { invoiceOfIntent } from './stripe-reads.js';
import { appendOnce, stripeActor } from './timeline.js';

/**
 * charge.refunded: each refund of the charge (`re_…`) becomes our refund of the payment recorded for
 * its PaymentIntent, once (source 'stripe', external_id = the refund id): a partial refund followed
 * by another is two refunds, and a redelivered or repeated event records nothing new. A refund whose
 * payment we have not recorded yet (the refund event beat the payment's) is retried later.
 */
interface StripeRefund {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
  readonly reason: string | null;
}

type Fetched =
  | { readonly kind: 'skip'; readonly note: string }
  | {
      readonly kind: 'refunded';
      readonly chargeId: string;
      readonly paymentIntentId: string;
      readonly paysInvoice: boolean;
      readonly refunds: readonly StripeRefund[];
    };

/** Refunds that moved (or are moving) money back; failed and canceled ones did not. */
const COUNTED = new Set(['succeeded', 'pending', 'requires_action']);

export const chargeRefunded = defineHandler<Fetched>({
  fetch: async (deps, { tenantId, event }) => {
    const charge = event.data.object as Stripe.Charge;
    const paymentIntentId =
      typeof charge.payment_intent === 'string' ? charge.payment_intent : (charge.payment_intent?.id ?? null);
    if (paymentIntentId === null) {
      return {
        kind: 'skip',
        note: `charge ${charge.id} has no PaymentIntent; ledgerbridge never recorded it`,
      };
    }
    const access = await openAccess(deps, tenantId);
    if (!access) return { kind: 'skip', note: 'Stripe is no longer connected; nothing to read' };
    const refunds = await readAll(access, `list the refunds of charge ${charge.id}`, (options) =>
      access.stripe.refunds.list({ charge: charge.id, limit: 100 }, options),
    );
    return {
      kind: 'refunded',
      chargeId: charge.id,
      paymentIntentId,
      paysInvoice: (await invoiceOfIntent(access, paymentIntentId)) !== undefined,
      refunds: refunds
        .filter((refund) => COUNTED.has(refund.status ?? ''))
        .map((refund) => ({
          id: refund.id,
          amount: refund.amount,
          currency: refund.currency.toUpperCase(),
          reason: refund.reason ?? null,
        })),
    };
  },
  apply: async (tx, { tenantId }, fetched) => {
    if (fetched.kind === 'skip') return ignored(fetched.note);
    const payment = await findPaymentByExternalId(tx, tenantId, 'stripe', fetched.paymentIntentId);
    if (!payment) {
      if (!fetched.paysInvoice) {
        return ignored(`charge ${fetched.chargeId} pays no Stripe invoice; ledgerbridge never recorded it`);
      }
      throw new NotStoredYetError(
        `the payment for PaymentIntent ${fetched.paymentIntentId} is not recorded yet; retrying the refund later`,
      );
    }
    let created = 0;
    for (const refund of fetched.refunds) {
      try {
        const recorded = await recordRefundInTransaction(tx, stripeActor(tenantId), payment.id, {
          amount: refund.amount,
          reason: refund.reason,
          source: 'stripe',
          externalId: refund.id,
        });
        if (recorded.created) created += 1;
      } catch (error) {
        if (!(error instanceof RefundExceedsPaymentError) && !(error instanceof CurrencyMismatchError))
          throw error;
        if (payment.invoiceId === null) continue;
        const amount = `${toDecimalString(money(refund.amount, refund.currency))} ${refund.currency}`;
        await appendOnce(
          tx,
          {
            tenantId,
            invoiceId: payment.invoiceId,
            kind: 'stripe.refund_conflict',
            message: `Stripe refunded ${amount} but it cannot be recorded here: ${error.message}`,
            data: { refund_id: refund.id, payment_id: payment.id, amount: refund.amount },
          },
          'refund_id',
        );
      }
    }
    return created > 0 ? processed : ignored('every refund of this charge is already recorded');
  },
});
