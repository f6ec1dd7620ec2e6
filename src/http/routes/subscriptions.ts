import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { enqueueSubscriptionSync } from '../../integrations/stripe/sync/enqueue.js';
import type { Db } from '../../store/db.js';
import { getContact } from '../../store/repositories/contacts.js';
import { getService } from '../../store/repositories/services.js';
import {
  cancelSubscription,
  getSubscription,
  insertSubscription,
  listSubscriptions,
  SUBSCRIPTION_STATUSES,
  type Subscription,
} from '../../store/repositories/subscriptions.js';
import { requirePrincipal } from '../auth.js';
import { AppError, invalidField, notFound } from '../errors.js';
import { errorBody, idParam, iso, isoOrNull, isoTimestamp, listQuery, page } from '../schemas/common.js';

const createSubscription = z
  .object({
    contact_id: z.string().min(1).max(64),
    service_id: z.string().min(1).max(64).describe('A recurring service (recurring_interval set)'),
    quantity: z.number().int().min(1).max(1_000_000).default(1),
  })
  .strict();

export const subscriptionSchema = z
  .object({
    id: z.string(),
    object: z.literal('subscription'),
    contact_id: z.string(),
    service_id: z.string(),
    quantity: z.number().int(),
    status: z.enum(SUBSCRIPTION_STATUSES),
    created_at: isoTimestamp,
    canceled_at: isoTimestamp.nullable(),
  })
  .meta({ id: 'Subscription' });

export function subscriptionJson(subscription: Subscription): z.infer<typeof subscriptionSchema> {
  return {
    id: subscription.id,
    object: 'subscription',
    contact_id: subscription.contactId,
    service_id: subscription.serviceId,
    quantity: subscription.quantity,
    status: subscription.status,
    created_at: iso(subscription.createdAt),
    canceled_at: isoOrNull(subscription.canceledAt),
  };
}

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };

export const subscriptionRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/subscriptions',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Subscribe a contact to a recurring service',
        description:
          'With Stripe connected, a Stripe subscription is made for it and each invoice Stripe issues ' +
          'for it appears here as an invoice with its payment link.',
        body: createSubscription,
        response: { 201: subscriptionSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const b = request.body;
      const subscription = await db.transaction(async (tx) => {
        if (!(await getContact(tx, tenantId, b.contact_id))) throw notFound('contact', b.contact_id);
        const service = await getService(tx, tenantId, b.service_id, 'share');
        if (!service) throw notFound('service', b.service_id);
        if (service.recurringInterval === null) {
          throw invalidField(
            'service_id',
            `service ${service.code} is not recurring (no recurring_interval)`,
          );
        }
        if (service.status === 'archived') {
          throw new AppError(
            'conflict',
            'service_archived',
            `service_id: service '${service.id}' (${service.code}) is archived and cannot be subscribed to`,
            { field: 'service_id', id: service.id },
          );
        }
        const created = await insertSubscription(tx, tenantId, {
          contactId: b.contact_id,
          serviceId: b.service_id,
          quantity: b.quantity,
        });
        await enqueueSubscriptionSync(tx, tenantId, created.id);
        return created;
      });
      return reply.status(201).send(subscriptionJson(subscription));
    },
  );

  app.get(
    '/subscriptions',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'List subscriptions, newest first',
        querystring: listQuery.extend({
          contact_id: z.string().max(64).optional(),
          status: z.enum(SUBSCRIPTION_STATUSES).optional(),
        }),
        response: { 200: page(subscriptionSchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const q = request.query;
      const result = await listSubscriptions(db, tenantId, {
        contactId: q.contact_id,
        status: q.status,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { data: result.data.map(subscriptionJson), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/subscriptions/:id',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Get a subscription',
        params: idParam,
        response: { 200: subscriptionSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const subscription = await getSubscription(db, tenantId, request.params.id);
      if (!subscription) throw notFound('subscription', request.params.id);
      return subscriptionJson(subscription);
    },
  );

  app.post(
    '/subscriptions/:id/cancel',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Cancel a subscription',
        description: 'No later period is invoiced; invoices already issued stay as they are.',
        params: idParam,
        response: { 200: subscriptionSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const { id } = request.params;
      const subscription = await db.transaction(async (tx) => {
        const current = await getSubscription(tx, tenantId, id, 'update');
        if (!current) throw notFound('subscription', id);
        const canceled = await cancelSubscription(tx, tenantId, id);
        if (!canceled) {
          throw new AppError('conflict', 'illegal_transition', `subscription ${id} is already canceled`, {
            status: current.status,
          });
        }
        await enqueueSubscriptionSync(tx, tenantId, id);
        return canceled;
      });
      return subscriptionJson(subscription);
    },
  );
};
