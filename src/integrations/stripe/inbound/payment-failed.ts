import type Stripe from 'stripe';
import { money, toDecimalString } from '../../../domain/index.js';
import type { Queryable } from '../../../store/db.js';
import { type InboundAccess, openAccess, readAll } from './context.js';
import { defineHandler, type EventOutcome, ignored, processed, type StripeEventInput } from './handler.js';
import { resolveInvoice, type StripeInvoiceRef } from './resolve.js';
import { intentIdOf, invoiceOfIntent, invoicePaymentsOf } from './stripe-reads.js';
import { appendOnce } from './timeline.js';

/**
 * invoice.payment_failed and payment_intent.payment_failed: 'Payment failed: <the decline message>'
 * on the invoice's timeline, once per failed charge — both events report the same attempt, and the
 * charge id dedupes them. The invoice itself does not change: a declined card leaves it open.
 */
interface Failure {
  readonly chargeId: string;
  readonly paymentIntentId: string | null;
  readonly message: string;
  readonly code: string | null;
  readonly amount: number;
  readonly currency: string;
  readonly at: number;
}

type Fetched =
  | { readonly kind: 'skip'; readonly note: string }
  | {
      readonly kind: 'failed';
      readonly stripeInvoice: StripeInvoiceRef;
      readonly failures: readonly Failure[];
    };

const NOT_CONNECTED: Fetched = { kind: 'skip', note: 'Stripe is no longer connected; nothing to read' };

async function failedCharges(access: InboundAccess, paymentIntentId: string): Promise<Failure[]> {
  const charges = await readAll(access, `list the charges of PaymentIntent ${paymentIntentId}`, (options) =>
    access.stripe.charges.list({ payment_intent: paymentIntentId, limit: 100 }, options),
  );
  return charges
    .filter((charge) => charge.status === 'failed')
    .map((charge) => ({
      chargeId: charge.id,
      paymentIntentId,
      message: charge.failure_message ?? charge.outcome?.seller_message ?? 'the payment was declined',
      code: charge.outcome?.reason ?? charge.failure_code ?? null,
      amount: charge.amount,
      currency: charge.currency.toUpperCase(),
      at: charge.created,
    }));
}

export const invoicePaymentFailed = defineHandler<Fetched>({
  fetch: async (deps, { tenantId, event }) => {
    const invoice = event.data.object as Stripe.Invoice;
    const access = await openAccess(deps, tenantId);
    if (!access) return NOT_CONNECTED;
    const failures: Failure[] = [];
    for (const payment of await invoicePaymentsOf(access, invoice.id)) {
      const intentId = intentIdOf(payment);
      if (intentId !== null) failures.push(...(await failedCharges(access, intentId)));
    }
    return { kind: 'failed', stripeInvoice: { id: invoice.id, metadata: invoice.metadata }, failures };
  },
  apply: applyFailed,
});

export const paymentIntentFailed = defineHandler<Fetched>({
  fetch: async (deps, { tenantId, event }) => {
    const intent = event.data.object as Stripe.PaymentIntent;
    const access = await openAccess(deps, tenantId);
    if (!access) return NOT_CONNECTED;
    const found = await invoiceOfIntent(access, intent.id);
    if (!found) {
      return {
        kind: 'skip',
        note: `PaymentIntent ${intent.id} pays no Stripe invoice; ledgerbridge tracks invoice payments`,
      };
    }
    return { kind: 'failed', stripeInvoice: found.invoice, failures: await failedCharges(access, intent.id) };
  },
  apply: applyFailed,
});

async function applyFailed(tx: Queryable, input: StripeEventInput, fetched: Fetched): Promise<EventOutcome> {
  if (fetched.kind === 'skip') return ignored(fetched.note);
  const resolved = await resolveInvoice(tx, input.tenantId, fetched.stripeInvoice);
  if ('foreign' in resolved) return ignored(resolved.foreign);
  const { invoice } = resolved;
  let added = 0;
  for (const failure of fetched.failures) {
    const amount = `${toDecimalString(money(failure.amount, failure.currency))} ${failure.currency}`;
    const appended = await appendOnce(
      tx,
      {
        tenantId: input.tenantId,
        invoiceId: invoice.id,
        kind: 'payment.failed',
        message: `Payment failed: ${failure.message} (${amount})`,
        data: {
          charge_id: failure.chargeId,
          payment_intent: failure.paymentIntentId,
          stripe_invoice_id: fetched.stripeInvoice.id,
          amount: failure.amount,
          currency: failure.currency,
          reason: failure.code,
          failed_at: new Date(failure.at * 1000).toISOString(),
        },
      },
      'charge_id',
    );
    if (appended) added += 1;
  }
  if (added > 0) return processed;
  return ignored(
    fetched.failures.length === 0
      ? 'Stripe lists no failed charge for this payment'
      : 'every failed charge is already on the timeline',
  );
}
