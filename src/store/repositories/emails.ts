import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { listPage, type Page } from '../list.js';
import { required } from './contacts.js';

export const EMAIL_STATUSES = ['queued', 'sent', 'failed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];
export const MAIL_TRANSPORTS = ['catcher', 'smtp'] as const;
export type MailTransportKind = (typeof MAIL_TRANSPORTS)[number];

/** One outgoing message, recorded before it is handed to the transport. */
export interface Email {
  readonly id: string;
  readonly tenantId: string;
  readonly idempotencyKey: string;
  readonly to: readonly string[];
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly template: string;
  readonly status: EmailStatus;
  readonly transport: MailTransportKind;
  readonly providerMessageId: string | null;
  readonly error: string | null;
  readonly attempts: number;
  readonly claimedUntil: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly sentAt: Date | null;
}

export type EmailContent = Pick<
  Email,
  'idempotencyKey' | 'to' | 'from' | 'subject' | 'text' | 'html' | 'template'
>;

function emailFromRow(row: Row): Email {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    idempotencyKey: String(row.idempotency_key),
    to: (row.to_addresses as string[]).map(String),
    from: String(row.from_address),
    subject: String(row.subject),
    text: String(row.text_body),
    html: String(row.html_body),
    template: String(row.template),
    status: row.status as EmailStatus,
    transport: row.transport as MailTransportKind,
    providerMessageId: (row.provider_message_id as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    attempts: Number(row.attempts),
    claimedUntil: (row.claimed_until as Date | null) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
    sentAt: (row.sent_at as Date | null) ?? null,
  };
}

/**
 * Records a message as queued and claimed by the caller for `claimSeconds`, or returns undefined when
 * the tenant already has a message under this idempotency key (the caller then reads that one).
 */
export async function insertQueuedEmail(
  db: Queryable,
  tenantId: string,
  content: EmailContent,
  transport: MailTransportKind,
  claimSeconds: number,
): Promise<Email | undefined> {
  const [row] = await db.query(
    `INSERT INTO emails (tenant_id, id, idempotency_key, to_addresses, from_address, subject, text_body,
       html_body, template, transport, attempts, claimed_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, now() + make_interval(secs => $11))
     ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING *`,
    [
      tenantId,
      newId('eml'),
      content.idempotencyKey,
      [...content.to],
      content.from,
      content.subject,
      content.text,
      content.html,
      content.template,
      transport,
      claimSeconds,
    ],
  );
  return row ? emailFromRow(row) : undefined;
}

export async function getEmailByKey(
  db: Queryable,
  tenantId: string,
  idempotencyKey: string,
): Promise<Email | undefined> {
  const [row] = await db.query('SELECT * FROM emails WHERE tenant_id = $1 AND idempotency_key = $2', [
    tenantId,
    idempotencyKey,
  ]);
  return row ? emailFromRow(row) : undefined;
}

/**
 * Claims an unsent message for another attempt. Undefined when it was sent meanwhile or another
 * sender's claim has not expired: at most one sender hands a message to the transport at a time.
 */
export async function claimEmail(
  db: Queryable,
  tenantId: string,
  id: string,
  transport: MailTransportKind,
  claimSeconds: number,
): Promise<Email | undefined> {
  const [row] = await db.query(
    `UPDATE emails SET attempts = attempts + 1, transport = $3, claimed_until = now() + make_interval(secs => $4),
       updated_at = now()
     WHERE tenant_id = $1 AND id = $2 AND status <> 'sent' AND (claimed_until IS NULL OR claimed_until < now())
     RETURNING *`,
    [tenantId, id, transport, claimSeconds],
  );
  return row ? emailFromRow(row) : undefined;
}

export async function markEmailSent(
  db: Queryable,
  tenantId: string,
  id: string,
  providerMessageId: string,
): Promise<Email> {
  const [row] = await db.query(
    `UPDATE emails SET status = 'sent', provider_message_id = $3, error = NULL, claimed_until = NULL,
       sent_at = now(), updated_at = now()
     WHERE tenant_id = $1 AND id = $2 RETURNING *`,
    [tenantId, id, providerMessageId],
  );
  return emailFromRow(required(row));
}

/** Records why an attempt failed and releases the claim, so the next retry may try at once. */
export async function markEmailFailed(
  db: Queryable,
  tenantId: string,
  id: string,
  error: string,
): Promise<Email> {
  const [row] = await db.query(
    `UPDATE emails SET status = 'failed', error = $3, claimed_until = NULL, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 AND status <> 'sent' RETURNING *`,
    [tenantId, id, error.slice(0, 2000)],
  );
  // No row: a sender whose claim had expired delivered it meanwhile, and sent is final.
  return row ? emailFromRow(row) : required(await getEmail(db, tenantId, id));
}

export async function getEmail(db: Queryable, tenantId: string, id: string): Promise<Email | undefined> {
  const [row] = await db.query('SELECT * FROM emails WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  return row ? emailFromRow(row) : undefined;
}

export function listEmails(
  db: Queryable,
  tenantId: string,
  filter: {
    status?: EmailStatus | undefined;
    template?: string | undefined;
    createdFrom?: string | undefined;
    createdTo?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<Page<Email>> {
  return listPage(
    db,
    {
      table: 'emails',
      tenantId,
      equals: { status: filter.status, template: filter.template },
      createdFrom: filter.createdFrom,
      createdTo: filter.createdTo,
      cursor: filter.cursor,
      limit: filter.limit,
    },
    emailFromRow,
  );
}
