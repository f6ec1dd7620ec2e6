import { sendEmail } from '../../email/send.js';
import { PermanentJobError } from '../../jobs/errors.js';
import type { Job } from '../../jobs/job.js';
import { enqueue } from '../../jobs/queue.js';
import type { Queryable } from '../../store/db.js';
import { getContact } from '../../store/repositories/contacts.js';
import { appendInvoiceEvent } from '../../store/repositories/timeline.js';
import { automationSettings } from './automation-settings.js';
import type { EngineDeps } from './types.js';

/**
 * The CRM Connect automation: when a contact's first invoice is paid in full — wherever the payment
 * was recorded — the contact gets one review request. Once per contact, ever: the job's dedupe key
 * and the email's idempotency key are both the contact id.
 */
export const REVIEW_REQUEST_JOB = 'workflow.review_request';

export async function enqueueReviewRequest(
  tx: Queryable,
  tenantId: string,
  contactId: string,
  invoiceId: string,
): Promise<boolean> {
  const settings = await automationSettings(tx, tenantId);
  if (!settings.reviewRequestEnabled) return false;
  const { created } = await enqueue(tx, {
    tenantId,
    type: REVIEW_REQUEST_JOB,
    payload: { contact_id: contactId, invoice_id: invoiceId },
    dedupeKey: `${REVIEW_REQUEST_JOB}:${contactId}`,
  });
  return created;
}

export function reviewRequestHandler(deps: EngineDeps) {
  return async (job: Job): Promise<unknown> => {
    const { contact_id: contactId, invoice_id: invoiceId } = (job.payload ?? {}) as Record<string, unknown>;
    if (job.tenantId === null || typeof contactId !== 'string' || typeof invoiceId !== 'string') {
      throw new PermanentJobError('workflow.review_request needs a tenant, contact_id and invoice_id');
    }
    const tenantId = job.tenantId;
    const settings = await automationSettings(deps.db, tenantId);
    if (!settings.reviewRequestEnabled || settings.reviewUrl === null) {
      return { skipped: 'the review-request automation was turned off' };
    }
    const contact = await getContact(deps.db, tenantId, contactId);
    if (!contact) throw new PermanentJobError(`contact ${contactId} does not exist`);
    if (!contact.email) throw new PermanentJobError(`contact ${contact.name} has no email address`);
    const email = await sendEmail(
      deps.db,
      {
        tenantId,
        idempotencyKey: `review_request:${contactId}`,
        to: contact.email,
        template: 'review_request',
        data: { customer_name: contact.name, review_url: settings.reviewUrl },
      },
      deps.mail,
    );
    // Once, even if this job runs again after a crash right here: the event is keyed by the email.
    await deps.db.transaction(async (tx) => {
      const [noted] = await tx.query(
        `SELECT 1 FROM invoice_events WHERE tenant_id = $1 AND invoice_id = $2 AND kind = 'workflow.review_requested'`,
        [tenantId, invoiceId],
      );
      if (noted) return;
      await appendInvoiceEvent(tx, {
        tenantId,
        invoiceId,
        actor: 'workflow',
        system: 'ledgerbridge',
        kind: 'workflow.review_requested',
        message: 'Review request was sent',
        data: { email_id: email.id, to: email.to },
      });
    });
    return { email_id: email.id };
  };
}
