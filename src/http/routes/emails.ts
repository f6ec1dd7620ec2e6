import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EMAIL_TEMPLATES } from '../../domain/workflows/nodes.js';
import type { Db } from '../../store/db.js';
import {
  EMAIL_STATUSES,
  type Email,
  getEmail,
  listEmails,
  MAIL_TRANSPORTS,
} from '../../store/repositories/emails.js';
import { requirePrincipal } from '../auth.js';
import { notFound } from '../errors.js';
import {
  dateRangeQuery,
  errorBody,
  idParam,
  iso,
  isoOrNull,
  isoTimestamp,
  listQuery,
  page,
} from '../schemas/common.js';

const summaryFields = {
  id: z.string(),
  object: z.literal('email'),
  idempotency_key: z.string(),
  to: z.array(z.string()),
  from: z.string(),
  subject: z.string(),
  template: z.string(),
  status: z.enum(EMAIL_STATUSES),
  transport: z.enum(MAIL_TRANSPORTS).describe('"catcher": kept here only, no SMTP server is configured'),
  provider_message_id: z
    .string()
    .nullable()
    .describe('The SMTP server’s acceptance reply, or catcher:<Message-ID>'),
  error: z.string().nullable().describe('Why the last attempt failed'),
  attempts: z.number().int(),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
  sent_at: isoTimestamp.nullable(),
};

const emailSummarySchema = z.object(summaryFields).meta({ id: 'EmailSummary' });
const emailSchema = z.object({ ...summaryFields, text: z.string(), html: z.string() }).meta({ id: 'Email' });

function summaryJson(email: Email): z.infer<typeof emailSummarySchema> {
  return {
    id: email.id,
    object: 'email',
    idempotency_key: email.idempotencyKey,
    to: [...email.to],
    from: email.from,
    subject: email.subject,
    template: email.template,
    status: email.status,
    transport: email.transport,
    provider_message_id: email.providerMessageId,
    error: email.error,
    attempts: email.attempts,
    created_at: iso(email.createdAt),
    updated_at: iso(email.updatedAt),
    sent_at: isoOrNull(email.sentAt),
  };
}

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };
const tags = ['emails'];

/**
 * Every email the tenant's workflows sent or tried to send. Without SMTP configured this is the mail
 * catcher: the messages a customer would have received, bodies included.
 */
export const emailRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/emails',
    {
      schema: {
        tags,
        summary: 'List outgoing emails, newest first',
        querystring: listQuery.extend({
          ...dateRangeQuery.shape,
          status: z.enum(EMAIL_STATUSES).optional(),
          template: z.enum(EMAIL_TEMPLATES).optional(),
        }),
        response: { 200: page(emailSummarySchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const q = request.query;
      const result = await listEmails(db, tenantId, {
        status: q.status,
        template: q.template,
        createdFrom: q.created_from,
        createdTo: q.created_to,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { data: result.data.map(summaryJson), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/emails/:id',
    {
      schema: {
        tags,
        summary: 'Get an email with its text and HTML bodies',
        params: idParam,
        response: { 200: emailSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const email = await getEmail(db, tenantId, request.params.id);
      if (!email) throw notFound('email', request.params.id);
      return { ...summaryJson(email), text: email.text, html: email.html };
    },
  );
};
