import { z } from 'zod';
import { getTenant } from '../access/repository.js';
import type { EmailTemplateName } from '../domain/workflows/nodes.js';
import { PermanentJobError, RetryableJobError, RetryAfterError } from '../jobs/errors.js';
import type { Db } from '../store/db.js';
import {
  claimEmail,
  type Email,
  getEmailByKey,
  insertQueuedEmail,
  markEmailFailed,
  markEmailSent,
} from '../store/repositories/emails.js';
import { renderEmail, type TemplateData } from './templates/index.js';
import type { MailTransport } from './transport.js';
import { SmtpDeliveryError } from './transport.js';

export interface SendEmailInput<T extends EmailTemplateName = EmailTemplateName> {
  readonly tenantId: string;
  /** Same key, same message: e.g. `payment_link:<invoice id>:<run id>`. At most 200 characters. */
  readonly idempotencyKey: string;
  readonly to: string | readonly string[];
  readonly template: T;
  readonly data: TemplateData[T];
}

/** How long one sender may take to hand a message over before another may try (see send timeouts). */
export const CLAIM_SECONDS = 300;

const recipients = z.array(z.email()).min(1).max(50);
const idempotencyKey = z.string().min(1).max(200);

/** The same key was used for a different message: a bug in the caller, never worth retrying. */
export class EmailIdempotencyConflictError extends PermanentJobError {
  override readonly name = 'EmailIdempotencyConflictError';
}

/** The transport refused or failed; the message is recorded as failed, and a retry sends it again. */
export class EmailDeliveryError extends RetryableJobError {
  override readonly name = 'EmailDeliveryError';
  constructor(readonly email: Email) {
    super(`email ${email.id} was not delivered: ${email.error ?? 'unknown error'}`);
  }
}

/** The SMTP server refused the message outright (5xx): retrying the same message would fail again. */
export class EmailRejectedError extends PermanentJobError {
  override readonly name = 'EmailRejectedError';
  constructor(readonly email: Email) {
    super(`email ${email.id} was rejected: ${email.error ?? 'unknown error'}`);
  }
}

/**
 * Sends a templated email at most once per (tenant, idempotency key):
 *
 * 1. render it, and record it as queued under the key — committed BEFORE anything is handed to SMTP;
 *    a second call with the key finds that row instead (and refuses a different message under it);
 * 2. claim it (one sender at a time, for CLAIM_SECONDS) and hand the recorded content to the transport;
 * 3. mark it sent. A retry of a message marked sent returns it without sending again.
 *
 * The one window left: if the process dies after the SMTP server accepted the message and before
 * step 3 commits, the row still says queued; once the claim expires a retry sends it again, so the
 * customer may get it twice. Both copies carry the same Message-ID (`<email id@sender domain>`),
 * which lets mail clients and servers that deduplicate by it show one. Closing that window would
 * need the SMTP server to take our key, which SMTP has no way to say.
 */
export async function sendEmail<T extends EmailTemplateName>(
  db: Db,
  input: SendEmailInput<T>,
  transport: MailTransport,
): Promise<Email> {
  const key = idempotencyKey.parse(input.idempotencyKey);
  const to = recipients.parse(typeof input.to === 'string' ? [input.to] : [...input.to]);
  const existing = await getEmailByKey(db, input.tenantId, key);
  if (existing?.status === 'sent') return sameMessage(existing, input.template, to);

  const tenant = await getTenant(db, input.tenantId);
  if (!tenant) throw new PermanentJobError(`no tenant ${input.tenantId}`);
  const rendered = renderEmail(input.template, input.data, { tenantName: tenant.name });
  const from = senderFor(transport.from, tenant.name);
  const content = { idempotencyKey: key, to, from, template: input.template, ...rendered };

  let email = existing
    ? undefined
    : await insertQueuedEmail(db, input.tenantId, content, transport.kind, CLAIM_SECONDS);
  if (!email) {
    const recorded = existing ?? (await getEmailByKey(db, input.tenantId, key));
    if (!recorded) throw new Error(`email ${key} conflicted on insert but cannot be read`);
    sameMessage(recorded, input.template, to);
    if (recorded.status === 'sent') return recorded;
    email = await claimEmail(db, input.tenantId, recorded.id, transport.kind, CLAIM_SECONDS);
    if (!email) {
      const now = await getEmailByKey(db, input.tenantId, key);
      if (now?.status === 'sent') return now;
      const waitMs = Math.max(1000, (now?.claimedUntil?.getTime() ?? Date.now()) - Date.now());
      throw new RetryAfterError(`email ${recorded.id} is being sent by another worker`, waitMs);
    }
  }

  try {
    const { providerMessageId } = await transport.deliver({
      messageId: `<${email.id}@${domainOf(transport.from)}>`,
      from: email.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
    });
    return await markEmailSent(db, input.tenantId, email.id, providerMessageId);
  } catch (error) {
    if (!(error instanceof SmtpDeliveryError)) throw error;
    const failed = await markEmailFailed(db, input.tenantId, email.id, error.message);
    if (failed.status === 'sent') return failed;
    const permanent = error.responseCode !== undefined && error.responseCode >= 500;
    throw permanent ? new EmailRejectedError(failed) : new EmailDeliveryError(failed);
  }
}

/** The recorded message, after checking a retry asks for the same template and recipients. */
function sameMessage(email: Email, template: string, to: readonly string[]): Email {
  const same = email.template === template && [...email.to].sort().join(',') === [...to].sort().join(',');
  if (!same) {
    throw new EmailIdempotencyConflictError(
      `idempotency key '${email.idempotencyKey}' already sent ${email.template} to ${email.to.join(', ')}`,
    );
  }
  return email;
}

/** `"Tenant Name" <MAIL_FROM address>`: the customer sees whose business wrote to them. */
export function senderFor(mailFrom: string, tenantName: string): string {
  const address = /<([^<>]+)>\s*$/.exec(mailFrom)?.[1] ?? mailFrom.trim();
  const name = tenantName.replaceAll(/[\r\n"\\]/g, ' ').trim();
  return name ? `"${name}" <${address}>` : address;
}

function domainOf(mailFrom: string): string {
  const address = /<([^<>]+)>\s*$/.exec(mailFrom)?.[1] ?? mailFrom;
  return address.split('@')[1]?.trim() || 'ledgerbridge.localhost';
}
