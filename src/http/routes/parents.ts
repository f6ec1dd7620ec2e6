import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db, Queryable } from '../../store/db.js';
import { parentHasBillablesForOtherContact } from '../../store/repositories/billables.js';
import { getContact } from '../../store/repositories/contacts.js';
import {
  getParent,
  insertParent,
  listParents,
  type Parent,
  type ParentType,
  parentKinds,
  updateParent,
} from '../../store/repositories/parents.js';
import { requirePrincipal } from '../auth.js';
import { AppError, notFound } from '../errors.js';
import { dateRangeQuery, errorBody, idParam, iso, isoTimestamp, listQuery, page } from '../schemas/common.js';

/** A body field naming a record that does not exist in the caller's tenant. */
export const invalidReference = (field: string, what: string, id: string): AppError =>
  new AppError('validation', 'invalid_reference', `${field}: no such ${what} '${id}'`, [
    { field, message: `no such ${what}` },
  ]);

/** The contact must be the caller's own; checked explicitly so the answer names the field. */
async function requireContact(tx: Queryable, tenantId: string, contactId: string): Promise<void> {
  if (!(await getContact(tx, tenantId, contactId)))
    throw invalidReference('contact_id', 'contact', contactId);
}

const titles: Readonly<Record<ParentType, { name: string; tag: string }>> = {
  opportunity: { name: 'Opportunity', tag: 'opportunities' },
  ticket: { name: 'Ticket', tag: 'tickets' },
  order: { name: 'Order', tag: 'orders' },
};

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };

/**
 * CRUD routes for one parent type. Schemas are built here, once per type at module load, because an
 * OpenAPI component id may only be registered once.
 */
function parentRoutes(type: ParentType): FastifyPluginAsyncZod<{ db: Db }> {
  const kind = parentKinds[type];
  const { name, tag } = titles[type];
  const path = `/${kind.table}`;
  const status = z.enum(kind.statuses);
  const fields = {
    title: z.string().trim().min(1).max(300),
    contact_id: z.string().min(1).max(64),
    status,
  };
  const create = z.object({ ...fields, status: status.default(kind.statuses[0]) }).strict();
  const patch = z.object(fields).partial().strict();
  const schema = z
    .object({
      id: z.string(),
      object: z.literal(type),
      title: z.string(),
      contact_id: z.string(),
      status,
      created_at: isoTimestamp,
      updated_at: isoTimestamp,
    })
    .meta({ id: name });
  const json = (parent: Parent): z.infer<typeof schema> => ({
    id: parent.id,
    object: type,
    title: parent.title,
    contact_id: parent.contactId,
    status: parent.status,
    created_at: iso(parent.createdAt),
    updated_at: iso(parent.updatedAt),
  });
  const lower = name.toLowerCase();

  return async (app, { db }) => {
    app.post(
      path,
      {
        schema: {
          tags: [tag],
          summary: `Create ${article(lower)}`,
          body: create,
          response: { 201: schema, ...errors },
        },
      },
      async (request, reply) => {
        const { tenantId } = requirePrincipal(request, 'write');
        const b = request.body;
        const parent = await db.transaction(async (tx) => {
          await requireContact(tx, tenantId, b.contact_id);
          return insertParent(tx, kind, tenantId, {
            contactId: b.contact_id,
            title: b.title,
            status: b.status,
          });
        });
        return reply.status(201).send(json(parent));
      },
    );

    app.get(
      path,
      {
        schema: {
          tags: [tag],
          summary: `List ${tag}, newest first`,
          querystring: listQuery.extend({
            ...dateRangeQuery.shape,
            status: status.optional(),
            contact_id: z.string().max(64).optional(),
          }),
          response: { 200: page(schema), ...errors },
        },
      },
      async (request) => {
        const { tenantId } = requirePrincipal(request, 'read');
        const q = request.query;
        const result = await listParents(db, kind, tenantId, {
          status: q.status,
          contactId: q.contact_id,
          createdFrom: q.created_from,
          createdTo: q.created_to,
          cursor: q.cursor,
          limit: q.limit,
        });
        return { data: result.data.map(json), next_cursor: result.nextCursor };
      },
    );

    app.get(
      `${path}/:id`,
      {
        schema: {
          tags: [tag],
          summary: `Get ${article(lower)}`,
          params: idParam,
          response: { 200: schema, ...errors },
        },
      },
      async (request) => {
        const { tenantId } = requirePrincipal(request, 'read');
        const parent = await getParent(db, kind, tenantId, request.params.id);
        if (!parent) throw notFound(lower, request.params.id);
        return json(parent);
      },
    );

    app.patch(
      `${path}/:id`,
      {
        schema: {
          tags: [tag],
          summary: `Update ${article(lower)}`,
          description: 'contact_id can change only while no billable of it is for another contact.',
          params: idParam,
          body: patch,
          response: { 200: schema, ...errors },
        },
      },
      async (request) => {
        const { tenantId } = requirePrincipal(request, 'write');
        const { id } = request.params;
        const b = request.body;
        const parent = await db.transaction(async (tx) => {
          const current = await getParent(tx, kind, tenantId, id, 'update');
          if (!current) throw notFound(lower, id);
          if (b.contact_id !== undefined && b.contact_id !== current.contactId) {
            await requireContact(tx, tenantId, b.contact_id);
            if (await parentHasBillablesForOtherContact(tx, tenantId, type, id, b.contact_id)) {
              throw new AppError(
                'conflict',
                'parent_has_billables',
                `contact_id: ${article(lower)} with billables for contact '${current.contactId}' cannot move to another contact`,
              );
            }
          }
          return updateParent(tx, {
            ...current,
            ...(b.title !== undefined && { title: b.title }),
            ...(b.contact_id !== undefined && { contactId: b.contact_id }),
            ...(b.status !== undefined && { status: b.status }),
          });
        });
        return json(parent);
      },
    );
  };
}

function article(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

export const opportunityRoutes = parentRoutes('opportunity');
export const ticketRoutes = parentRoutes('ticket');
export const orderRoutes = parentRoutes('order');
