import type Stripe from 'stripe';
import {
  canTransitionInvoice,
  type InvoiceAction,
  money,
  toDecimalString,
  transitionInvoice,
} from '../../../domain/index.js';
import type { Queryable } from '../../../store/db.js';
import { type Invoice, type InvoicePatch, updateInvoice } from '../../../store/repositories/invoices.js';
import { cancelInvoiceRun } from '../../../workflows/engine/cancel.js';
import { moveInvoiceBillables } from '../../../store/repositories/invoices-billables.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import {
  type EventOutcome,
  ignored,
  processed,
  type StripeEventHandler,
  type StripeEventInput,
} from './handler.js';
import { resolveInvoice } from './resolve.js';
import { importSubscriptionInvoice } from './subscription-invoice.js';
import { appendOnce, stripeActor } from './timeline.js';

/**
 * invoice.finalized, invoice.sent, invoice.voided, invoice.marked_uncollectible: our invoice follows
 * Stripe's status through the domain's state machine, and only forward. The machine itself refuses
 * every backward move (a paid invoice cannot be reopened), so a late event — `invoice.finalized`
 * delivered after `invoice.paid` — changes nothing and is recorded as ignored with a note. When
 * Stripe voids or writes off an invoice that our state cannot follow (a manual payment is recorded
 * here), the conflict goes on the timeline for a person to settle.
 */
type StatusAction = Extract<InvoiceAction, 'send' | 'void' | 'mark_uncollectible'>;

const wording: Readonly<Record<StatusAction, { kind: string; message: string }>> = {
  send: { kind: 'invoice.sent', message: 'Invoice was finalized in Stripe' },
  void: { kind: 'invoice.voided', message: 'Invoice was voided in Stripe' },
  mark_uncollectible: {
    kind: 'invoice.marked_uncollectible',
    message: 'Invoice was marked uncollectible in Stripe',
  },
};

/**
 * Applies one lifecycle action to a locked invoice as Stripe, with the same effects as our own API
 * (sent_at/voided_at stamps; voiding releases the billables to be invoiced again).
 */
export async function moveInvoice(
  tx: Queryable,
  invoice: Invoice,
  action: StatusAction,
  data: Record<string, unknown>,
  message = wording[action].message,
): Promise<Invoice> {
  const status = transitionInvoice(invoice.status, action);
  const patch: { -readonly [K in keyof InvoicePatch]: InvoicePatch[K] } = { status };
  let released: string[] = [];
  if (action === 'send') patch.stamp = 'sent_at';
  if (action === 'void') {
    patch.stamp = 'voided_at';
    released = await moveInvoiceBillables(tx, invoice.tenantId, invoice.id, 'release');
  }
  const updated = await updateInvoice(tx, invoice.tenantId, invoice.id, patch);
  await appendInvoiceEvent(tx, {
    ...stripeActor(invoice.tenantId),
    invoiceId: invoice.id,
    kind: wording[action].kind,
    message,
    data: {
      from: invoice.status,
      to: status,
      ...data,
      ...(released.length > 0 && { released_billable_ids: released }),
    },
  });
  // A voided invoice's workflow ends here, as when it is voided through our API.
  if (action === 'void')
    await cancelInvoiceRun(tx, invoice.tenantId, invoice.id, 'the invoice was voided in Stripe');
  return updated;
}

function statusHandler(action: StatusAction, message?: string): StripeEventHandler {
  return {
    apply: async (tx, input) => {
      const stripeInvoice = input.event.data.object as Stripe.Invoice;
      const resolved = await resolveInvoice(tx, input.tenantId, stripeInvoice);
      if ('foreign' in resolved) return ignored(resolved.foreign);
      const { invoice } = resolved;
      const data = { stripe_invoice_id: stripeInvoice.id, stripe_event_id: input.event.id };
      if (canTransitionInvoice(invoice.status, action)) {
        await moveInvoice(tx, invoice, action, data, message);
        return processed;
      }
      return refuse(tx, input, invoice, action, data);
    },
  };
}

/** The machine says no: already there, a late event, or a conflict a person must settle. */
async function refuse(
  tx: Queryable,
  input: StripeEventInput,
  invoice: Invoice,
  action: StatusAction,
  data: Record<string, string>,
): Promise<EventOutcome> {
  const target = transitionTarget(action);
  const type = input.event.type;
  if (invoice.status === target) return ignored(`invoice is already ${words(target)}; nothing to change`);
  // Stripe voided or wrote off an invoice that has money recorded here (e.g. a manual payment).
  const conflict =
    (action === 'void' && invoice.amountPaid > 0) ||
    (action === 'mark_uncollectible' && invoice.status === 'void');
  if (conflict) {
    const paid = `${toDecimalString(money(invoice.amountPaid, invoice.currency))} ${invoice.currency}`;
    const message =
      action === 'void'
        ? `Invoice was voided in Stripe, but ${paid} of payments are recorded here; it stays ` +
          `${words(invoice.status)} here — refund or adjust it by hand`
        : `Invoice was marked uncollectible in Stripe, but it is void here; it stays void`;
    await appendOnce(
      tx,
      {
        tenantId: input.tenantId,
        invoiceId: invoice.id,
        kind: 'stripe.status_conflict',
        message,
        data: { ...data, stripe_status: target, status: invoice.status },
      },
      'stripe_event_id',
    );
    return ignored(`conflict: ${message}`);
  }
  return ignored(
    `invoice is ${words(invoice.status)} here; ${type} cannot move it to ${words(target)} ` +
      '(a late or out-of-order event never moves an invoice backwards)',
  );
}

function transitionTarget(action: StatusAction) {
  return action === 'send' ? 'open' : action === 'void' ? 'void' : 'uncollectible';
}

function words(status: string): string {
  return status.replaceAll('_', ' ');
}

const finalizedStatus = statusHandler('send');

/**
 * invoice.finalized: an invoice Stripe issued for one of our subscriptions is imported as ours (open,
 * with its payment link); any other follows Stripe's status as above.
 */
export const invoiceFinalized: StripeEventHandler = {
  apply: async (tx, input, fetched) => {
    const stripeInvoice = input.event.data.object as Stripe.Invoice;
    if (await importSubscriptionInvoice(tx, input.tenantId, stripeInvoice)) return processed;
    return finalizedStatus.apply(tx, input, fetched);
  },
};
export const invoiceSent = statusHandler('send', 'Invoice was sent by Stripe');
export const invoiceVoided = statusHandler('void');
export const invoiceMarkedUncollectible = statusHandler('mark_uncollectible');
