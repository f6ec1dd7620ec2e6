import type { NodeOf } from '../../../domain/workflows/index.js';
import { sendEmail } from '../../../email/send.js';
import { enqueueInvoicePush, STRIPE_PUSH_INVOICE_JOB } from '../../../integrations/stripe/sync/enqueue.js';
import { getLiveConnection } from '../../../store/repositories/integration-connections.js';
import type { Invoice } from '../../../store/repositories/invoices.js';
import { hasEdge } from '../graph.js';
import type { NodeExecution, Outcome } from '../types.js';
import { awaitedJobs, RECHECK_QUEUED_MS, RECHECK_RUNNING_MS } from './awaited-jobs.js';
import { contactOf, invoiceOf } from './invoice.js';

/**
 * collect_payment: make sure the invoice has its Stripe invoice and payment link, email the link to
 * the contact, follow `next`; then, if the step has an `on_payment` edge, keep waiting until the
 * invoice is paid and follow it.
 *
 * The Stripe invoice is the Stripe push job's to make (enqueued once per invoice by its dedupe key,
 * normally already by sending): this step only ensures that job exists and waits for the link it
 * stores — woken when that job finishes, with a fallback look. The email is sent under the key
 * `workflow:<token>`, so a step run again after a crash finds it sent.
 */
export async function runCollectPayment(
  execution: NodeExecution,
  node: NodeOf<'collect_payment'>,
): Promise<Outcome> {
  const invoice = await invoiceOf(execution);
  if (!invoice) return { kind: 'fail', error: 'collect_payment needs an invoice, and this run has none' };
  const waitsForPayment = hasEdge(execution.graph, node.id, 'on_payment');
  const linkHandled = execution.token.followed.includes('next');
  if (invoice.status === 'paid') {
    return { kind: 'done', follow: ['on_payment'], result: { paid: true } };
  }
  if (linkHandled) return { kind: 'wait', waitingFor: 'payment' };
  if (invoice.status === 'draft') {
    return { kind: 'fail', error: 'the invoice is a draft; a payment link exists once it is sent' };
  }

  const url = invoice.paymentLinkUrl ?? (await awaitLink(execution, invoice));
  if (typeof url !== 'string') return url;

  const result: Record<string, unknown> = { payment_link_url: url };
  let timeline;
  if (node.email_customer) {
    const contact = await contactOf(execution);
    if (!contact?.email) {
      return { kind: 'fail', error: `contact ${contact?.name ?? invoice.contactId} has no email address` };
    }
    const email = await sendEmail(
      execution.deps.db,
      {
        tenantId: invoice.tenantId,
        idempotencyKey: `workflow:${execution.token.id}`,
        to: contact.email,
        template: 'payment_link',
        data: {
          customer_name: contact.name,
          invoice_number: invoice.number,
          amount_due: invoice.balance,
          currency: invoice.currency,
          due_date: invoice.dueDate,
          payment_url: url,
        },
      },
      execution.deps.mail,
    );
    result.email_id = email.id;
    timeline = {
      kind: 'workflow.payment_link_sent',
      message: 'Payment link was sent',
      data: { email_id: email.id, to: email.to, url },
    };
  }
  if (!waitsForPayment) return { kind: 'done', follow: ['next'], result, ...(timeline && { timeline }) };
  return { kind: 'wait', waitingFor: 'payment', follow: ['next'], result, ...(timeline && { timeline }) };
}

/** The payment link once the Stripe push stored it, or the outcome to return meanwhile. */
async function awaitLink(execution: NodeExecution, invoice: Invoice): Promise<string | Outcome> {
  const { db } = execution.deps;
  if (!(await getLiveConnection(db, invoice.tenantId, 'stripe'))) {
    return { kind: 'fail', error: 'Stripe is not connected, so the invoice has no payment link' };
  }
  if (invoice.stripeSyncStatus === 'failed') {
    return { kind: 'fail', error: `the Stripe push failed: ${invoice.stripeSyncError ?? 'unknown error'}` };
  }
  await db.transaction((tx) => enqueueInvoicePush(tx, invoice.tenantId, invoice.id));
  const [push] = await awaitedJobs(db, invoice.tenantId, [`${STRIPE_PUSH_INVOICE_JOB}:${invoice.id}`]);
  if (push?.state === 'dead' || push?.state === 'cancelled') {
    return { kind: 'fail', error: `the Stripe push failed: ${push.lastError ?? push.state}` };
  }
  if (push?.state === 'succeeded') {
    // It may have finished between our reading the invoice and the job: read the link again.
    const [row] = await db.query<{ payment_link_url: string | null }>(
      'SELECT payment_link_url FROM invoices WHERE tenant_id = $1 AND id = $2',
      [invoice.tenantId, invoice.id],
    );
    if (row?.payment_link_url) return row.payment_link_url;
    return { kind: 'fail', error: 'Stripe did not give the invoice a payment link' };
  }
  const recheckMs = push?.state === 'running' ? RECHECK_RUNNING_MS : RECHECK_QUEUED_MS;
  return { kind: 'wait', waitingFor: 'payment_link', recheckMs };
}
