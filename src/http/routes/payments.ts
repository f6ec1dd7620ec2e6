import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordPayment } from '../../billing/payments.js';
import { recordRefund } from '../../billing/refunds.js';
import type { Db } from '../../store/db.js';
import { getInvoice } from '../../store/repositories/invoices.js';
import { getPayment, listPayments, listRefunds } from '../../store/repositories/payments.js';
import { requirePrincipal } from '../auth.js';
import { notFound } from '../errors.js';
import { dateRangeQuery, errorBody, idParam, listQuery, page } from '../schemas/common.js';
import {
  createPaymentBody,
  createRefundBody,
  paymentJson,
  paymentListQuery,
  paymentSchema,
  refundJson,
  refundSchema,
} from './payments-schemas.js';

const errors = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  404: errorBody,
  409: errorBody,
  422: errorBody,
};
const tags = ['payments'];

export const paymentRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/payments',
    {
      schema: {
        tags,
        summary: 'Record a payment, against an invoice or standalone with a purpose',
        description:
          'Answers 201 for a new payment and 200 with the stored payment when the same (source, external_id) ' +
          'was recorded before; 409 if that earlier payment had a different amount.',
        body: createPaymentBody,
        response: { 200: paymentSchema, 201: paymentSchema, ...errors },
      },
    },
    async (request, reply) => {
      const who = requirePrincipal(request, 'write');
      const b = request.body;
      const { value, created } = await recordPayment(db, who, {
        invoiceId: b.invoice_id ?? null,
        contactId: b.contact_id ?? null,
        amount: b.amount,
        currency: b.currency,
        method: b.method,
        source: b.source,
        externalId: b.external_id ?? null,
        reference: b.reference ?? null,
        memo: b.memo ?? null,
        receivedAt: b.received_at ?? null,
        purpose: b.purpose ?? null,
      });
      return reply.status(created ? 201 : 200).send(paymentJson(value));
    },
  );

  app.get(
    '/payments',
    {
      schema: {
        tags,
        summary: 'List payments, newest first',
        querystring: listQuery.extend({ ...dateRangeQuery.shape, ...paymentListQuery.shape }),
        response: { 200: page(paymentSchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const q = request.query;
      const result = await listPayments(db, tenantId, {
        invoiceId: q.invoice_id,
        contactId: q.contact_id,
        source: q.source,
        method: q.method,
        purpose: q.purpose,
        createdFrom: q.created_from,
        createdTo: q.created_to,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { data: result.data.map(paymentJson), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/payments/:id',
    {
      schema: {
        tags,
        summary: 'Get a payment',
        params: idParam,
        response: { 200: paymentSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const payment = await getPayment(db, tenantId, request.params.id);
      if (!payment) throw notFound('payment', request.params.id);
      return paymentJson(payment);
    },
  );

  app.get(
    '/invoices/:id/payments',
    {
      schema: {
        tags,
        summary: "An invoice's payments, newest first",
        params: idParam,
        querystring: listQuery,
        response: { 200: page(paymentSchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      if (!(await getInvoice(db, tenantId, request.params.id))) throw notFound('invoice', request.params.id);
      const result = await listPayments(db, tenantId, {
        invoiceId: request.params.id,
        cursor: request.query.cursor,
        limit: request.query.limit,
      });
      return { data: result.data.map(paymentJson), next_cursor: result.nextCursor };
    },
  );

  app.post(
    '/payments/:id/refunds',
    {
      schema: {
        tags,
        summary: 'Refund part or all of a payment',
        description:
          'The invoice keeps its status and amount_paid; its amount_refunded grows. A repeated (source, ' +
          'external_id) returns the stored refund with 200.',
        params: idParam,
        body: createRefundBody,
        response: { 200: refundSchema, 201: refundSchema, ...errors },
      },
    },
    async (request, reply) => {
      const who = requirePrincipal(request, 'write');
      const b = request.body;
      const { value, created } = await recordRefund(db, who, request.params.id, {
        amount: b.amount,
        reason: b.reason ?? null,
        source: b.source,
        externalId: b.external_id ?? null,
      });
      return reply.status(created ? 201 : 200).send(refundJson(value));
    },
  );

  app.get(
    '/payments/:id/refunds',
    {
      schema: {
        tags,
        summary: "A payment's refunds, oldest first",
        params: idParam,
        response: { 200: z.object({ data: z.array(refundSchema) }), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      if (!(await getPayment(db, tenantId, request.params.id))) throw notFound('payment', request.params.id);
      return { data: (await listRefunds(db, tenantId, request.params.id)).map(refundJson) };
    },
  );
};
