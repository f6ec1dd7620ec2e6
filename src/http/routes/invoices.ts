import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createInvoice,
  createInvoiceFromBillables,
  deleteDraftInvoice,
  getInvoiceOrThrow,
  type ManualInvoiceAction,
  transitionInvoiceStatus,
  updateDraftInvoice,
} from '../../billing/invoices.js';
import type { Db } from '../../store/db.js';
import { getInvoice, listInvoices } from '../../store/repositories/invoices.js';
import { listInvoiceEvents } from '../../store/repositories/timeline.js';
import { requirePrincipal } from '../auth.js';
import { notFound } from '../errors.js';
import { dateRangeQuery, errorBody, idParam, listQuery, page } from '../schemas/common.js';
import {
  createFromBillables,
  createInvoiceBody,
  invoiceEventJson,
  invoiceEventSchema,
  invoiceJson,
  invoiceListQuery,
  invoiceSchema,
  lineDraft,
  patchInvoiceBody,
} from './invoices-schemas.js';

const errors = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  404: errorBody,
  409: errorBody,
  422: errorBody,
};
const tags = ['invoices'];

/** URL segment → lifecycle action; the state machine in src/domain decides what each may do. */
const actions: ReadonlyArray<[string, ManualInvoiceAction, string]> = [
  ['send', 'send', 'Finalize a draft and mark it sent (draft → open)'],
  ['void', 'void', 'Void an open or uncollectible invoice; its billables become unbilled again'],
  ['mark-uncollectible', 'mark_uncollectible', 'Write off an open or partially paid invoice'],
  ['archive', 'archive', 'Hide an invoice; remembers its status for unarchive'],
  ['unarchive', 'unarchive', 'Restore an archived invoice to the status it was archived from'],
];

export const invoiceRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/invoices/from-billables',
    {
      schema: {
        tags,
        summary: 'Create a draft invoice from unbilled billables (one contact, one currency)',
        body: createFromBillables,
        response: { 201: invoiceSchema, ...errors },
      },
    },
    async (request, reply) => {
      const who = requirePrincipal(request, 'write');
      const b = request.body;
      const invoice = await createInvoiceFromBillables(db, who, b.billable_ids, {
        dueDate: b.due_date ?? null,
        memo: b.memo ?? null,
        formType: b.form_type,
      });
      return reply.status(201).send(invoiceJson(invoice));
    },
  );

  app.post(
    '/invoices',
    {
      schema: {
        tags,
        summary: 'Create a draft invoice with lines given directly',
        body: createInvoiceBody,
        response: { 201: invoiceSchema, ...errors },
      },
    },
    async (request, reply) => {
      const who = requirePrincipal(request, 'write');
      const b = request.body;
      const invoice = await createInvoice(db, who, {
        contactId: b.contact_id,
        currency: b.currency,
        lines: b.lines.map(lineDraft),
        dueDate: b.due_date ?? null,
        memo: b.memo ?? null,
        formType: b.form_type,
      });
      return reply.status(201).send(invoiceJson(invoice));
    },
  );

  app.get(
    '/invoices',
    {
      schema: {
        tags,
        summary: 'List invoices, newest first',
        querystring: listQuery.extend({ ...dateRangeQuery.shape, ...invoiceListQuery.shape }),
        response: { 200: page(invoiceSchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const q = request.query;
      const result = await listInvoices(db, tenantId, {
        status: q.status,
        contactId: q.contact_id,
        number: q.number,
        createdFrom: q.created_from,
        createdTo: q.created_to,
        dueFrom: q.due_from,
        dueTo: q.due_to,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { data: result.data.map(invoiceJson), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/invoices/:id',
    {
      schema: {
        tags,
        summary: 'Get an invoice with its lines',
        params: idParam,
        response: { 200: invoiceSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      return invoiceJson(await getInvoiceOrThrow(db, tenantId, request.params.id));
    },
  );

  app.patch(
    '/invoices/:id',
    {
      schema: {
        tags,
        summary: 'Edit a draft (due date, memo, or replace all lines); 409 once sent',
        params: idParam,
        body: patchInvoiceBody,
        response: { 200: invoiceSchema, ...errors },
      },
    },
    async (request) => {
      const who = requirePrincipal(request, 'write');
      const b = request.body;
      const invoice = await updateDraftInvoice(db, who, request.params.id, {
        dueDate: b.due_date,
        memo: b.memo,
        lines: b.lines?.map(lineDraft),
      });
      return invoiceJson(invoice);
    },
  );

  app.delete(
    '/invoices/:id',
    {
      schema: {
        tags,
        summary: 'Delete a draft; its billables become unbilled again. Sent invoices are voided instead',
        params: idParam,
        response: { 204: z.null().describe('Deleted'), ...errors },
      },
    },
    async (request, reply) => {
      const who = requirePrincipal(request, 'write');
      await deleteDraftInvoice(db, who, request.params.id);
      return reply.status(204).send(null);
    },
  );

  for (const [segment, action, summary] of actions) {
    app.post(
      `/invoices/:id/${segment}`,
      { schema: { tags, summary, params: idParam, response: { 200: invoiceSchema, ...errors } } },
      async (request) => {
        const who = requirePrincipal(request, 'write');
        return invoiceJson(await transitionInvoiceStatus(db, who, request.params.id, action));
      },
    );
  }

  app.get(
    '/invoices/:id/timeline',
    {
      schema: {
        tags,
        summary: 'Everything that happened to an invoice, oldest first',
        params: idParam,
        response: { 200: z.object({ data: z.array(invoiceEventSchema) }), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      if (!(await getInvoice(db, tenantId, request.params.id))) throw notFound('invoice', request.params.id);
      const events = await listInvoiceEvents(db, tenantId, request.params.id);
      return { data: events.map(invoiceEventJson) };
    },
  );
};
