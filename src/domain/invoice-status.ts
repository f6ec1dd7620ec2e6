import { IllegalTransitionError } from './errors.js';
import { defineStateMachine, PREVIOUS, type TransitionTable } from './state-machine.js';

export { IllegalTransitionError } from './errors.js';

export type InvoiceStatus =
  'draft' | 'open' | 'partially_paid' | 'paid' | 'void' | 'uncollectible' | 'archived';

export type InvoiceAction =
  | 'send'
  | 'record_partial_payment'
  | 'record_full_payment'
  | 'void'
  | 'mark_uncollectible'
  | 'archive'
  | 'unarchive';

export const INVOICE_STATUSES: readonly InvoiceStatus[] = Object.freeze([
  'draft',
  'open',
  'partially_paid',
  'paid',
  'void',
  'uncollectible',
  'archived',
]);

/*
 * THE invoice lifecycle. Decisions worth knowing:
 * - Drafts are not voided, they are deleted (as in Stripe): a draft was never sent, so there is nothing
 *   to keep an audit trail of. Deleting is a store operation gated by `canDeleteInvoice`, not a status.
 * - A partially paid invoice cannot be voided: money was received against it. Write the rest off with
 *   mark_uncollectible instead. An uncollectible invoice may still be paid (late payment) or voided.
 * - paid and void are final, apart from archiving. Refunds do not reopen a paid invoice (see payments.ts).
 * - archive is a soft, reversible hide available from every status; unarchive returns to the status it
 *   was archived from, which callers persist as `archivedFrom` and pass back in.
 */
export const invoiceTransitions: TransitionTable<InvoiceStatus, InvoiceAction> = {
  draft: { send: 'open', archive: 'archived' },
  open: {
    record_partial_payment: 'partially_paid',
    record_full_payment: 'paid',
    void: 'void',
    mark_uncollectible: 'uncollectible',
    archive: 'archived',
  },
  partially_paid: {
    record_partial_payment: 'partially_paid',
    record_full_payment: 'paid',
    mark_uncollectible: 'uncollectible',
    archive: 'archived',
  },
  uncollectible: {
    record_partial_payment: 'partially_paid',
    record_full_payment: 'paid',
    void: 'void',
    archive: 'archived',
  },
  paid: { archive: 'archived' },
  void: { archive: 'archived' },
  archived: { unarchive: PREVIOUS },
};

export const invoiceMachine = defineStateMachine<InvoiceStatus, InvoiceAction>('invoice', invoiceTransitions);

export interface InvoiceTransitionContext {
  /** The status the invoice had when it was archived; required for 'unarchive'. */
  readonly archivedFrom?: InvoiceStatus | undefined;
}

export function transitionInvoice(
  from: InvoiceStatus,
  action: InvoiceAction,
  context?: InvoiceTransitionContext,
): InvoiceStatus {
  return invoiceMachine.next(from, action, { previous: context?.archivedFrom });
}

export function canTransitionInvoice(
  from: InvoiceStatus,
  action: InvoiceAction,
  context?: InvoiceTransitionContext,
): boolean {
  return invoiceMachine.can(from, action, { previous: context?.archivedFrom });
}

/** Only drafts may be deleted outright; anything that was sent stays on record (void it instead). */
export function canDeleteInvoice(status: InvoiceStatus): boolean {
  return status === 'draft';
}

/** Throws the same IllegalTransitionError shape as the machine, for the delete endpoint. */
export function assertInvoiceDeletable(status: InvoiceStatus): void {
  if (!canDeleteInvoice(status)) {
    throw new IllegalTransitionError(
      'invoice',
      status,
      'delete',
      `cannot delete an invoice that is ${status.replaceAll('_', ' ')} (only drafts can be deleted)`,
    );
  }
}
