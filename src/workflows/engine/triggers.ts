import type { TriggerEvent } from '../../domain/workflows/index.js';
import type { Queryable } from '../../store/db.js';
import type { Invoice } from '../../store/repositories/invoices.js';
import {
  getContactRun,
  getInvoiceRun,
  insertRun,
  type WorkflowRun,
} from '../../store/repositories/workflow-runs.js';
import { resolveWorkflowForFormType } from '../definitions.js';
import { definitionOf, triggerFor } from './graph.js';
import { enqueueReviewRequest } from './review-request.js';
import { arriveAt, settleRun, wakeTokens } from './tokens.js';

/**
 * Where billing tells the engine what happened, inside the transaction of the change: the run
 * exists (and its first jobs are queued) if and only if the change commits.
 *
 * One run per invoice. The first event the invoice's bound workflow has a trigger for starts it,
 * on the definition version bound at that moment; later events fire their own triggers in the
 * same run, on that same version, each trigger once per run (payment_received once per payment).
 */
export async function emitInvoiceEvent(
  tx: Queryable,
  invoice: Pick<Invoice, 'tenantId' | 'id' | 'contactId' | 'formType'>,
  event: TriggerEvent,
  occurrence?: string,
): Promise<void> {
  let run = await getInvoiceRun(tx, invoice.tenantId, invoice.id, true);
  if (run?.status === 'cancelled') return;
  if (run && (event === 'payment_received' || event === 'invoice_paid')) {
    // Steps waiting for the money (collect_payment's on_payment, a person asked to mark it paid)
    // look again now, rather than on some later poll.
    await wakeTokens(tx, invoice.tenantId, run.id, ['payment', 'person']);
  }
  if (!run) {
    const definition = await resolveWorkflowForFormType(tx, invoice.tenantId, invoice.formType);
    if (!definition || !triggerFor(definition.graph, event)) return;
    run =
      (await insertRun(tx, {
        tenantId: invoice.tenantId,
        invoiceId: invoice.id,
        contactId: invoice.contactId,
        definitionId: definition.id,
      })) ?? (await getInvoiceRun(tx, invoice.tenantId, invoice.id, true));
    if (!run) throw new Error(`the workflow run of invoice ${invoice.id} conflicted but cannot be read`);
  }
  await fire(tx, run, event, occurrence);
}

/** A contact was created: a workflow with a contact_created trigger runs for the contact. */
export async function emitContactCreated(
  tx: Queryable,
  contact: { readonly tenantId: string; readonly id: string },
): Promise<void> {
  if (await getContactRun(tx, contact.tenantId, contact.id)) return;
  // Contacts have no form type of their own; they run the workflow of the standard invoice.
  const definition = await resolveWorkflowForFormType(tx, contact.tenantId, 'invoice');
  if (!definition || !triggerFor(definition.graph, 'contact_created')) return;
  const run = await insertRun(tx, {
    tenantId: contact.tenantId,
    invoiceId: null,
    contactId: contact.id,
    definitionId: definition.id,
  });
  if (run) await fire(tx, run, 'contact_created');
}

/**
 * Money arrived on an invoice (any source: our API, Stripe, QuickBooks): payment_received, and when
 * it brought the balance to zero, invoice_paid — plus, for the contact's first invoice paid in full,
 * contact_first_invoice_paid and the review-request automation.
 */
export async function emitPaymentEvents(
  tx: Queryable,
  invoice: Pick<Invoice, 'tenantId' | 'id' | 'contactId' | 'formType'>,
  paymentId: string,
  paidInFull: boolean,
): Promise<void> {
  await emitInvoiceEvent(tx, invoice, 'payment_received', paymentId);
  if (!paidInFull) return;
  await emitInvoicePaid(tx, invoice);
}

/** The invoice's balance reached zero (a payment, or QuickBooks adjusting one). */
export async function emitInvoicePaid(
  tx: Queryable,
  invoice: Pick<Invoice, 'tenantId' | 'id' | 'contactId' | 'formType'>,
): Promise<void> {
  await emitInvoiceEvent(tx, invoice, 'invoice_paid');
  const [earlier] = await tx.query(
    `SELECT 1 FROM invoices WHERE tenant_id = $1 AND contact_id = $2 AND id <> $3 AND paid_at IS NOT NULL
     LIMIT 1`,
    [invoice.tenantId, invoice.contactId, invoice.id],
  );
  if (earlier) return;
  await emitInvoiceEvent(tx, invoice, 'contact_first_invoice_paid');
  await enqueueReviewRequest(tx, invoice.tenantId, invoice.contactId, invoice.id);
}

async function fire(tx: Queryable, run: WorkflowRun, event: TriggerEvent, occurrence?: string) {
  const { graph } = await definitionOf(tx, run.tenantId, run.definitionId);
  const trigger = triggerFor(graph, event);
  if (!trigger) return;
  const cause = occurrence === undefined ? `trigger:${event}` : `trigger:${event}:${occurrence}`;
  await arriveAt(tx, run, graph, trigger.id, cause, null);
  await settleRun(tx, run.tenantId, run.id);
}
