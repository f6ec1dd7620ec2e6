import type Stripe from 'stripe';
import { recordPaymentInTransaction } from '../../../billing/payments.js';
import {
  CurrencyMismatchError,
  IllegalTransitionError,
  money,
  OverpaymentError,
  toDecimalString,
} from '../../../domain/index.js';
import type { Queryable } from '../../../store/db.js';
import type { Invoice } from '../../../store/repositories/invoices.js';
import { openAccess } from './context.js';
import { defineHandler, type EventOutcome, ignored, processed, type StripeEventInput } from './handler.js';
import { moveInvoice } from './invoice-status.js';
import { resolveInvoice, type StripeInvoiceRef } from './resolve.js';
import {
  intentIdOf,
  invoiceOfIntent,
  invoicePaymentsOf,
  type PaidIntent,
  readPaidIntent,
} from './stripe-reads.js';
import { appendOnce, stripeActor } from './timeline.js';

/**
 * invoice.paid and payment_intent.succeeded: the money Stripe collected becomes our payment, once.
 * Both events describe the same fact; whichever is applied first records the payment (source
 * 'stripe', external_id = the PaymentIntent id) and the other finds it recorded — the
 * (source, external_id) key makes it a no-op. The amount is what Stripe actually received for the
 * invoice, so a partial payment leaves the invoice partially paid; the fee comes from the charge's
 * balance transaction, the card's brand and last 4 from the charge.
 */
type Fetched =
  | { readonly kind: 'skip'; readonly note: string }
  | {
      readonly kind: 'paid';
      readonly stripeInvoice: StripeInvoiceRef;
      readonly intents: readonly PaidIntent[];
      /** Stripe was told the invoice was paid some other way (no PaymentIntent received money). */
      readonly outOfBand: number;
    };

const NOT_CONNECTED: Fetched = { kind: 'skip', note: 'Stripe is no longer connected; nothing to read' };

export const invoicePaid = defineHandler<Fetched>({
  fetch: async (deps, { tenantId, event }) => {
    const invoice = event.data.object as Stripe.Invoice;
    const access = await openAccess(deps, tenantId);
    if (!access) return NOT_CONNECTED;
    const intents: PaidIntent[] = [];
    for (const payment of await invoicePaymentsOf(access, invoice.id)) {
      const intentId = intentIdOf(payment);
      if (payment.status !== 'paid' || intentId === null) continue;
      const paid = await readPaidIntent(access, intentId, payment.amount_paid);
      if (paid) intents.push(paid);
    }
    return {
      kind: 'paid',
      stripeInvoice: { id: invoice.id, metadata: invoice.metadata },
      intents,
      outOfBand: invoice.amount_paid_off_stripe ?? 0,
    };
  },
  apply: applyPaid,
});

export const paymentIntentSucceeded = defineHandler<Fetched>({
  fetch: async (deps, { tenantId, event }) => {
    const intent = event.data.object as Stripe.PaymentIntent;
    const access = await openAccess(deps, tenantId);
    if (!access) return NOT_CONNECTED;
    const found = await invoiceOfIntent(access, intent.id);
    if (!found) {
      return {
        kind: 'skip',
        note: `PaymentIntent ${intent.id} pays no Stripe invoice; ledgerbridge records invoice payments`,
      };
    }
    const paid = await readPaidIntent(access, intent.id, found.payment.amount_paid);
    return { kind: 'paid', stripeInvoice: found.invoice, intents: paid ? [paid] : [], outOfBand: 0 };
  },
  apply: applyPaid,
});

async function applyPaid(tx: Queryable, input: StripeEventInput, fetched: Fetched): Promise<EventOutcome> {
  if (fetched.kind === 'skip') return ignored(fetched.note);
  const resolved = await resolveInvoice(tx, input.tenantId, fetched.stripeInvoice);
  if ('foreign' in resolved) return ignored(resolved.foreign);
  let invoice = resolved.invoice;
  const stripeInvoiceId = fetched.stripeInvoice.id;

  if (fetched.intents.length === 0) {
    if (fetched.outOfBand > 0) {
      const amount = `${toDecimalString(money(fetched.outOfBand, invoice.currency))} ${invoice.currency}`;
      await appendOnce(
        tx,
        {
          tenantId: input.tenantId,
          invoiceId: invoice.id,
          kind: 'stripe.paid_out_of_band',
          message: `Invoice was marked paid in Stripe outside Stripe (${amount}); record that payment here`,
          data: { stripe_invoice_id: stripeInvoiceId, amount: fetched.outOfBand },
        },
        'stripe_invoice_id',
      );
      return ignored('paid out of band in Stripe: no money moved through Stripe; noted on the timeline');
    }
    return ignored(`Stripe reports no successful payment on invoice ${stripeInvoiceId} yet`);
  }

  // A Stripe invoice is paid only once finalized: a draft here catches up first (forward only).
  if (invoice.status === 'draft') {
    invoice = await moveInvoice(tx, invoice, 'send', { stripe_invoice_id: stripeInvoiceId });
  }
  const notes: string[] = [];
  let created = 0;
  for (const intent of fetched.intents) {
    const outcome = await recordOne(tx, input, invoice, stripeInvoiceId, intent);
    if (outcome === 'created') created += 1;
    else notes.push(outcome);
  }
  return created > 0 ? processed : ignored(notes.join('; '));
}

/** 'created', or why nothing was recorded. */
async function recordOne(
  tx: Queryable,
  input: StripeEventInput,
  invoice: Invoice,
  stripeInvoiceId: string,
  intent: PaidIntent,
): Promise<string> {
  try {
    const { value, created } = await recordPaymentInTransaction(tx, stripeActor(input.tenantId), {
      invoiceId: invoice.id,
      contactId: null,
      amount: intent.amount,
      currency: intent.currency,
      method: intent.method,
      source: 'stripe',
      externalId: intent.paymentIntentId,
      reference: intent.chargeId,
      memo: null,
      receivedAt: intent.receivedAt,
      purpose: null,
      feeAmount: intent.feeAmount,
      cardBrand: intent.cardBrand,
      cardLast4: intent.cardLast4,
    });
    return created ? 'created' : `payment ${intent.paymentIntentId} is already recorded as ${value.id}`;
  } catch (error) {
    // Our state cannot take the payment (paid by hand already, voided here…): a person must settle it.
    if (
      !(error instanceof OverpaymentError) &&
      !(error instanceof IllegalTransitionError) &&
      !(error instanceof CurrencyMismatchError)
    ) {
      throw error;
    }
    const amount = `${toDecimalString(money(intent.amount, intent.currency))} ${intent.currency}`;
    const message = `Stripe received ${amount} but it cannot be applied here: ${error.message}; refund it or adjust the invoice by hand`;
    await appendOnce(
      tx,
      {
        tenantId: input.tenantId,
        invoiceId: invoice.id,
        kind: 'stripe.payment_conflict',
        message,
        data: {
          payment_intent: intent.paymentIntentId,
          stripe_invoice_id: stripeInvoiceId,
          amount: intent.amount,
          currency: intent.currency,
          status: invoice.status,
        },
      },
      'payment_intent',
    );
    return `conflict: ${message}`;
  }
}
