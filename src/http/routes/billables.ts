import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BILLABLE_STATUSES } from '../../domain/billable-status.js';
import type { Db } from '../../store/db.js';
import {
  deleteBillable,
  getBillable,
  insertBillable,
  listBillables,
  updateBillable,
} from '../../store/repositories/billables.js';
import { getParent, PARENT_TYPES, parentKinds } from '../../store/repositories/parents.js';
import { getService } from '../../store/repositories/services.js';
import { requirePrincipal } from '../auth.js';
import { notFound } from '../errors.js';
import { currencyCode, dateRangeQuery, errorBody, idParam, listQuery, page } from '../schemas/common.js';
import { assertEditable, patchBillable, resolveNewBillable } from './billables-input.js';
import {
  billableJson,
  billableSchema,
  createBillable,
  deletedSchema,
  patchBody,
} from './billables-schemas.js';
import { invalidReference } from './parents.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };
const tags = ['billables'];
const statusFilter = { status: z.enum(BILLABLE_STATUSES).optional() };

export const billableRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/billables',
    {
      schema: {
        tags,
        summary: 'Record a billable on an opportunity, ticket or order',
        body: createBillable,
        response: { 201: billableSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const b = request.body;
      const billable = await db.transaction(async (tx) => {
        // FOR SHARE: the parent cannot change contact, nor the service be archived, until we commit.
        const parent = await getParent(tx, parentKinds[b.parent_type], tenantId, b.parent_id, 'share');
        if (!parent) throw invalidReference('parent_id', b.parent_type, b.parent_id);
        const service = b.service_id ? await getService(tx, tenantId, b.service_id, 'share') : undefined;
        if (b.service_id && !service) throw invalidReference('service_id', 'service', b.service_id);
        const input = resolveNewBillable(parent, service, {
          contactId: b.contact_id,
          description: b.description,
          quantity: b.quantity,
          unitPrice: b.unit_price,
          currency: b.currency,
          discount: b.discount,
          taxRate: b.tax_rate,
          taxInclusive: b.tax_inclusive,
        });
        return insertBillable(tx, tenantId, input);
      });
      return reply.status(201).send(billableJson(billable));
    },
  );

  app.get(
    '/billables',
    {
      schema: {
        tags,
        summary: 'List billables, newest first',
        querystring: listQuery.extend({
          ...dateRangeQuery.shape,
          ...statusFilter,
          contact_id: z.string().max(64).optional(),
          parent_type: z.enum(PARENT_TYPES).optional(),
          parent_id: z.string().max(64).optional(),
          currency: currencyCode.optional(),
        }),
        response: { 200: page(billableSchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const q = request.query;
      const result = await listBillables(db, tenantId, {
        status: q.status,
        contactId: q.contact_id,
        parentType: q.parent_type,
        parentId: q.parent_id,
        currency: q.currency,
        createdFrom: q.created_from,
        createdTo: q.created_to,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { data: result.data.map(billableJson), next_cursor: result.nextCursor };
    },
  );

  for (const type of PARENT_TYPES) {
    const kind = parentKinds[type];
    app.get(
      `/${kind.table}/:id/billables`,
      {
        schema: {
          tags,
          summary: `List the billables of one ${type}, newest first`,
          params: idParam,
          querystring: listQuery.extend({ ...dateRangeQuery.shape, ...statusFilter }),
          response: { 200: page(billableSchema), ...errors },
        },
      },
      async (request) => {
        const { tenantId } = requirePrincipal(request, 'read');
        const { id } = request.params;
        if (!(await getParent(db, kind, tenantId, id))) throw notFound(type, id);
        const q = request.query;
        const result = await listBillables(db, tenantId, {
          status: q.status,
          parentType: type,
          parentId: id,
          createdFrom: q.created_from,
          createdTo: q.created_to,
          cursor: q.cursor,
          limit: q.limit,
        });
        return { data: result.data.map(billableJson), next_cursor: result.nextCursor };
      },
    );
  }

  app.get(
    '/billables/:id',
    {
      schema: {
        tags,
        summary: 'Get a billable',
        params: idParam,
        response: { 200: billableSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const billable = await getBillable(db, tenantId, request.params.id);
      if (!billable) throw notFound('billable', request.params.id);
      return billableJson(billable);
    },
  );

  app.patch(
    '/billables/:id',
    {
      schema: {
        tags,
        summary: 'Change an unbilled billable',
        description: 'Only unbilled billables can change; status and invoice_id change through invoicing.',
        params: idParam,
        body: patchBody,
        response: { 200: billableSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const { id } = request.params;
      const b = request.body;
      const billable = await db.transaction(async (tx) => {
        const current = await getBillable(tx, tenantId, id, 'update');
        if (!current) throw notFound('billable', id);
        const next = patchBillable(current, {
          ...(b.description !== undefined && { description: b.description }),
          ...(b.quantity !== undefined && { quantity: b.quantity }),
          ...(b.unit_price !== undefined && { unitPrice: b.unit_price }),
          ...(b.currency !== undefined && { currency: b.currency }),
          ...(b.discount !== undefined && { discount: b.discount }),
          ...(b.tax_rate !== undefined && { taxRate: b.tax_rate }),
          ...(b.tax_inclusive !== undefined && { taxInclusive: b.tax_inclusive }),
        });
        return updateBillable(tx, next);
      });
      return billableJson(billable);
    },
  );

  app.delete(
    '/billables/:id',
    {
      schema: {
        tags,
        summary: 'Delete an unbilled billable',
        params: idParam,
        response: { 200: deletedSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const { id } = request.params;
      await db.transaction(async (tx) => {
        const current = await getBillable(tx, tenantId, id, 'update');
        if (!current) throw notFound('billable', id);
        assertEditable(current);
        await deleteBillable(tx, tenantId, id);
      });
      return { id, object: 'billable' as const, deleted: true as const };
    },
  );
};
