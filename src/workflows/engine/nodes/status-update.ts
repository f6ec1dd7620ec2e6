import { durationMinutes, type NodeOf, type SettableStatus } from '../../../domain/workflows/index.js';
import type { PaymentMethod } from '../../../domain/index.js';
import { type Actor, lockInvoice, transitionInvoiceStatusIn } from '../../../billing/invoices.js';
import { recordPaymentInTransaction } from '../../../billing/payments.js';
import type { Queryable } from '../../../store/db.js';
import type { NodeExecution, Outcome } from '../types.js';
import { invoiceOf } from './invoice.js';

export interface PaymentDetails {
  readonly method?: PaymentMethod | undefined;
  readonly reference?: string | null | undefined;
}

/**
 * Moves the invoice to `status` inside the caller's transaction, through the same billing code a
 * person's request uses. "paid" records a manual payment of the balance (the check that arrived),
 * which is what pushes the payment to QuickBooks and fires the payment triggers. Setting the status
 * it already has changes nothing, so a repeated step is harmless.
 */
export async function applyStatus(
  tx: Queryable,
  who: Actor,
  invoiceId: string,
  status: SettableStatus,
  payment: PaymentDetails = {},
): Promise<{ changed: boolean }> {
  const invoice = await lockInvoice(tx, who.tenantId, invoiceId);
  if (invoice.status === status) return { changed: false };
  if (status === 'paid') {
    await recordPaymentInTransaction(tx, who, {
      invoiceId,
      contactId: null,
      amount: invoice.balance,
      currency: invoice.currency,
      method: payment.method ?? 'other',
      source: 'manual',
      externalId: null,
      reference: payment.reference ?? null,
      memo: 'Marked paid in a workflow',
      receivedAt: null,
      purpose: null,
    });
  } else {
    const action = status === 'open' ? 'send' : status === 'void' ? 'void' : 'mark_uncollectible';
    await transitionInvoiceStatusIn(tx, who, invoiceId, action);
  }
  return { changed: true };
}

/** The statuses that end the question a manual step asks: once the invoice has one, it is answered. */
const SETTLED: readonly string[] = ['paid', 'uncollectible'];

export async function runStatusUpdate(
  execution: NodeExecution,
  node: NodeOf<'status_update'>,
): Promise<Outcome> {
  const invoice = await invoiceOf(execution);
  if (!invoice) return { kind: 'fail', error: 'a status update needs an invoice, and this run has none' };
  if (node.mode === 'automatic') {
    const status = node.status ?? 'open';
    if (invoice.status === status)
      return { kind: 'done', follow: ['next'], result: { status, changed: false } };
    const who = { tenantId: invoice.tenantId, actor: 'workflow' };
    return {
      kind: 'done',
      follow: ['next'],
      result: { status, changed: true },
      commit: async (tx) => void (await applyStatus(tx, who, invoice.id, status)),
    };
  }
  const allowed: readonly string[] = node.allowed_statuses ?? [];
  if (SETTLED.includes(invoice.status) && allowed.includes(invoice.status)) {
    // Paid some other way (the link, another track's answer, QuickBooks): nothing left to ask.
    return { kind: 'done', follow: ['next'], result: { status: invoice.status, decided_by: 'invoice' } };
  }
  if (node.timeout === undefined) return { kind: 'wait', waitingFor: 'person' };
  const { token } = execution;
  const dueAt = new Date(token.createdAt.getTime() + durationMinutes(node.timeout) * 60_000);
  if (execution.now >= dueAt) {
    return { kind: 'done', follow: ['timeout'], result: { timed_out_at: dueAt.toISOString() } };
  }
  return { kind: 'wait', waitingFor: 'person', dueAt };
}
