import type { NodeOf } from '../../../domain/workflows/index.js';
import { sendEmail } from '../../../email/send.js';
import { automationSettings } from '../automation-settings.js';
import type { NodeExecution, Outcome } from '../types.js';
import { contactOf, invoiceOf } from './invoice.js';

/** send_email: one message to every recipient, under the key `workflow:<token>` (sent at most once). */
export async function runSendEmail(execution: NodeExecution, node: NodeOf<'send_email'>): Promise<Outcome> {
  const { run, deps } = execution;
  const contact = await contactOf(execution);
  const to: string[] = [];
  for (const recipient of node.recipients) {
    if (recipient !== 'contact') to.push(recipient);
    else if (contact?.email) to.push(contact.email);
    else return { kind: 'fail', error: `contact ${contact?.name ?? run.contactId} has no email address` };
  }
  const base = {
    tenantId: run.tenantId,
    idempotencyKey: `workflow:${execution.token.id}`,
    to: [...new Set(to)],
  };
  let email;
  if (node.template === 'payment_link') {
    const invoice = await invoiceOf(execution);
    if (!invoice?.paymentLinkUrl) return { kind: 'fail', error: 'the invoice has no payment link to send' };
    email = await sendEmail(
      deps.db,
      {
        ...base,
        template: 'payment_link',
        data: {
          customer_name: contact?.name ?? null,
          invoice_number: invoice.number,
          amount_due: invoice.balance,
          currency: invoice.currency,
          due_date: invoice.dueDate,
          payment_url: invoice.paymentLinkUrl,
        },
      },
      deps.mail,
    );
  } else {
    const settings = await automationSettings(deps.db, run.tenantId);
    if (!settings.reviewUrl) {
      return { kind: 'fail', error: 'no review URL is set (PATCH /api/v1/automations/review-request)' };
    }
    email = await sendEmail(
      deps.db,
      {
        ...base,
        template: 'review_request',
        data: { customer_name: contact?.name ?? null, review_url: settings.reviewUrl },
      },
      deps.mail,
    );
  }
  return {
    kind: 'done',
    follow: ['next'],
    result: { email_id: email.id, to: email.to },
    timeline: {
      kind: 'workflow.email_sent',
      message: `Email was sent: ${email.subject}`,
      data: { email_id: email.id, to: email.to, template: node.template },
    },
  };
}
