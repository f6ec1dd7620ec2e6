import type { NodeOf } from '../../../domain/workflows/index.js';
import { sendEmail } from '../../../email/send.js';
import { enqueueInvoicePush, STRIPE_PUSH_INVOICE_JOB } from '../../../integrations/stripe/sync/enqueue.js';
import type { Queryable } from '../../../store/db.js';
import { findLinkByLocal } from '../../../store/repositories/external-links.js';
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
 * `workflow:<token>`, so a step run again after a crash finds it sent. When the Stripe connection
 * has Stripe email invoices, Stripe's email is the one the customer gets, and ours is not sent.
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
  const connection = await getLiveConnection(execution.deps.db, invoice.tenantId, 'stripe');
  // With the connection's "send invoices by email" on, Stripe emails the customer the invoice and its
  // link (and the push notes "Payment link was sent"): a second email from us would be a duplicate.
  const stripeEmails = node.email_customer && connection?.settings.send_invoices_by_email === true;
  const link = await awaitLink(execution, invoice, stripeEmails, connection !== undefined);
  if ('kind' in link) return link;

  const result: Record<string, unknown> = { payment_link_url: link.url };
  let timeline;
  if (link.sentByStripe) {
    result.emailed_by = 'stripe';
  } else if (node.email_customer) {
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
          payment_url: link.url,
        },
      },
      execution.deps.mail,
    );
    result.email_id = email.id;
    timeline = {
      kind: 'workflow.payment_link_sent',
      message: 'Payment link was sent',
      data: { email_id: email.id, to: email.to, url: link.url },
    };
  }
  if (!waitsForPayment) return { kind: 'done', follow: ['next'], result, ...(timeline && { timeline }) };
  return { kind: 'wait', waitingFor: 'payment', follow: ['next'], result, ...(timeline && { timeline }) };
}

/** The Stripe push's jobs this step waits for, by dedupe key (see reviveDeadJobs). */
export function collectPaymentJobKeys(invoiceId: string): string[] {
  return [`${STRIPE_PUSH_INVOICE_JOB}:${invoiceId}`];
}

interface Link {
  readonly url: string;
  /** Stripe emailed it to the customer (the connection's "send invoices by email"). */
  readonly sentByStripe: boolean;
}

/**
 * The payment link once the Stripe push stored it — and, when Stripe is to email it, once Stripe
 * has — or the outcome to return meanwhile. The push job's state decides: a job retried after it
 * was dead-lettered is waited for again, whatever the invoice's last sync error says.
 */
async function awaitLink(
  execution: NodeExecution,
  invoice: Invoice,
  stripeEmails: boolean,
  connected: boolean,
): Promise<Link | Outcome> {
  const { db } = execution.deps;
  const ready = await readyLink(db, invoice.tenantId, invoice.id, stripeEmails, false);
  if (ready) return ready;
  if (!connected) {
    return { kind: 'fail', error: 'Stripe is not connected, so the invoice has no payment link' };
  }
  await db.transaction((tx) => enqueueInvoicePush(tx, invoice.tenantId, invoice.id));
  const [push] = await awaitedJobs(db, invoice.tenantId, collectPaymentJobKeys(invoice.id));
  if (push?.state === 'dead' || push?.state === 'cancelled') {
    return { kind: 'fail', error: `the Stripe push failed: ${push.lastError ?? push.state}` };
  }
  if (push?.state === 'succeeded') {
    // Done before this look (perhaps before the setting was turned on: then we email it ourselves).
    const done = await readyLink(db, invoice.tenantId, invoice.id, stripeEmails, true);
    if (done) return done;
    return { kind: 'fail', error: 'Stripe did not give the invoice a payment link' };
  }
  const recheckMs = push?.state === 'running' ? RECHECK_RUNNING_MS : RECHECK_QUEUED_MS;
  return { kind: 'wait', waitingFor: 'payment_link', recheckMs };
}

async function readyLink(
  db: Queryable,
  tenantId: string,
  invoiceId: string,
  stripeEmails: boolean,
  pushFinished: boolean,
): Promise<Link | undefined> {
  const [row] = await db.query<{ payment_link_url: string | null }>(
    'SELECT payment_link_url FROM invoices WHERE tenant_id = $1 AND id = $2',
    [tenantId, invoiceId],
  );
  const url = row?.payment_link_url;
  if (!url) return undefined;
  if (!stripeEmails) return { url, sentByStripe: false };
  const link = await findLinkByLocal(db, {
    tenantId,
    provider: 'stripe',
    localType: 'invoice',
    localId: invoiceId,
  });
  const sent = (link?.data as { stage?: unknown } | undefined)?.stage === 'sent';
  if (sent || pushFinished) return { url, sentByStripe: sent };
  return undefined;
}
