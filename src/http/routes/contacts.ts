import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { enqueueQboContactSync } from '../../integrations/quickbooks/sync/enqueue.js';
import { enqueueContactSync } from '../../integrations/stripe/sync/enqueue.js';
import type { Db } from '../../store/db.js';
import {
  type Contact,
  getContact,
  insertContact,
  listContacts,
  updateContact,
} from '../../store/repositories/contacts.js';
import { emitContactCreated } from '../../workflows/engine/triggers.js';
import { requirePrincipal } from '../auth.js';
import { notFound } from '../errors.js';
import {
  currencyCode,
  dateRangeQuery,
  errorBody,
  idParam,
  iso,
  isoTimestamp,
  listQuery,
  page,
} from '../schemas/common.js';

const address = z
  .object({
    line1: z.string().min(1).max(200),
    line2: z.string().max(200).optional(),
    city: z.string().min(1).max(100),
    region: z.string().max(100).optional(),
    postal_code: z.string().min(1).max(20),
    country: z.string().length(2).describe('ISO 3166-1 alpha-2 country code'),
  })
  .strict();

const contactFields = {
  kind: z.enum(['individual', 'organization']),
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320).nullable(),
  phone: z.string().max(40).nullable(),
  billing_address: address.nullable(),
  preferred_currency: currencyCode.nullable(),
};

const createContact = z
  .object({
    ...contactFields,
    email: contactFields.email.default(null),
    phone: contactFields.phone.default(null),
    billing_address: contactFields.billing_address.default(null),
    preferred_currency: contactFields.preferred_currency.default(null),
  })
  .strict();

const patchContact = z
  .object({ ...contactFields, archived: z.boolean() })
  .partial()
  .strict();

export const contactSchema = z
  .object({
    id: z.string(),
    object: z.literal('contact'),
    kind: z.enum(['individual', 'organization']),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    billing_address: address.nullable(),
    preferred_currency: z.string().nullable(),
    archived: z.boolean(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .meta({ id: 'Contact' });

export function contactJson(contact: Contact): z.infer<typeof contactSchema> {
  return {
    id: contact.id,
    object: 'contact',
    kind: contact.kind,
    name: contact.name,
    email: contact.email,
    phone: contact.phone,
    billing_address: contact.billingAddress as z.infer<typeof address> | null,
    preferred_currency: contact.preferredCurrency,
    archived: contact.archived,
    created_at: iso(contact.createdAt),
    updated_at: iso(contact.updatedAt),
  };
}

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };

export const contactRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/contacts',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Create a contact',
        body: createContact,
        response: { 201: contactSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const body = request.body;
      // The contact and the start of a contact_created workflow commit together, or neither.
      const contact = await db.transaction(async (tx) => {
        const created = await insertContact(tx, tenantId, {
          kind: body.kind,
          name: body.name,
          email: body.email,
          phone: body.phone,
          billingAddress: body.billing_address,
          preferredCurrency: body.preferred_currency,
        });
        await emitContactCreated(tx, created);
        return created;
      });
      return reply.status(201).send(contactJson(contact));
    },
  );

  app.get(
    '/contacts',
    {
      schema: {
        tags: ['contacts'],
        summary: 'List contacts, newest first',
        querystring: listQuery.extend({
          ...dateRangeQuery.shape,
          archived: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
          email: z.string().max(320).optional(),
        }),
        response: { 200: page(contactSchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const q = request.query;
      const result = await listContacts(db, tenantId, {
        archived: q.archived,
        email: q.email,
        createdFrom: q.created_from,
        createdTo: q.created_to,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { data: result.data.map(contactJson), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Get a contact',
        params: idParam,
        response: { 200: contactSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const contact = await getContact(db, tenantId, request.params.id);
      if (!contact) throw notFound('contact', request.params.id);
      return contactJson(contact);
    },
  );

  app.patch(
    '/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Update or archive a contact',
        params: idParam,
        body: patchContact,
        response: { 200: contactSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const b = request.body;
      const contact = await db.transaction(async (tx) => {
        const updated = await updateContact(tx, tenantId, request.params.id, {
          ...(b.kind !== undefined && { kind: b.kind }),
          ...(b.name !== undefined && { name: b.name }),
          ...(b.email !== undefined && { email: b.email }),
          ...(b.phone !== undefined && { phone: b.phone }),
          ...(b.billing_address !== undefined && { billingAddress: b.billing_address }),
          ...(b.preferred_currency !== undefined && { preferredCurrency: b.preferred_currency }),
          ...(b.archived !== undefined && { archived: b.archived }),
        });
        // A contact linked to a Stripe customer keeps it up to date.
        if (updated) await enqueueContactSync(tx, tenantId, updated.id);
        // …and the same for its QuickBooks customer.
        if (updated) await enqueueQboContactSync(tx, tenantId, updated.id);
        return updated;
      });
      if (!contact) throw notFound('contact', request.params.id);
      return contactJson(contact);
    },
  );
};
