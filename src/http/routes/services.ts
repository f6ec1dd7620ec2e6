import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { enqueueQboServiceSync } from '../../integrations/quickbooks/sync/enqueue.js';
import { enqueueServiceSync } from '../../integrations/stripe/sync/enqueue.js';
import type { Db } from '../../store/db.js';
import {
  getService,
  insertService,
  listServices,
  RECURRING_INTERVALS,
  SERVICE_STATUSES,
  type Service,
  type ServicePrice,
  serviceCodeTaken,
  updateService,
} from '../../store/repositories/services.js';
import { requirePrincipal } from '../auth.js';
import { AppError, invalidField, notFound } from '../errors.js';
import {
  currencyCode,
  dateRangeQuery,
  errorBody,
  idParam,
  iso,
  isoTimestamp,
  listQuery,
  minorUnits,
  page,
} from '../schemas/common.js';
import { percentRate } from '../schemas/decimals.js';

/** Stripe accepts many more `currency_options`; this keeps one service's row and Stripe price small. */
const MAX_OTHER_PRICES = 50;

const serviceFields = {
  code: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-", e.g. "CONSULT-HR"')
    .describe('Catalog code (SKU), unique within the tenant'),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable(),
  unit_price: minorUnits,
  currency: currencyCode,
  prices: z
    .array(z.object({ currency: currencyCode, unit_price: minorUnits }).strict())
    .max(MAX_OTHER_PRICES)
    .describe(
      'List prices in other currencies than `currency`, each in its own minor units (EUR 9000 = €90.00, ' +
        'JPY 9000 = ¥9,000); at most one per currency. Replaced as a whole on PATCH. Synced to Stripe ' +
        'as the `currency_options` of the service’s price',
    ),
  tax_rate: percentRate.nullable(),
  tax_inclusive: z.boolean().describe('true when unit_price already includes tax_rate'),
  recurring_interval: z.enum(RECURRING_INTERVALS).nullable(),
};

const createService = z
  .object({
    ...serviceFields,
    description: serviceFields.description.default(null),
    prices: serviceFields.prices.default([]),
    tax_rate: serviceFields.tax_rate.default(null),
    tax_inclusive: serviceFields.tax_inclusive.default(false),
    recurring_interval: serviceFields.recurring_interval.default(null),
  })
  .strict();

const patchService = z
  .object({ ...serviceFields, status: z.enum(SERVICE_STATUSES) })
  .partial()
  .strict();

export const serviceSchema = z
  .object({
    id: z.string(),
    object: z.literal('service'),
    code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    unit_price: z.number().int(),
    currency: z.string(),
    prices: z.array(z.object({ currency: z.string(), unit_price: z.number().int() })),
    tax_rate: z.string().nullable(),
    tax_inclusive: z.boolean(),
    status: z.enum(SERVICE_STATUSES),
    recurring_interval: z.enum(RECURRING_INTERVALS).nullable(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .meta({ id: 'Service' });

export function serviceJson(service: Service): z.infer<typeof serviceSchema> {
  return {
    id: service.id,
    object: 'service',
    code: service.code,
    name: service.name,
    description: service.description,
    unit_price: service.unitPrice,
    currency: service.currency,
    prices: service.prices.map((price) => ({ currency: price.currency, unit_price: price.unitPrice })),
    tax_rate: service.taxRate,
    tax_inclusive: service.taxInclusive,
    status: service.status,
    recurring_interval: service.recurringInterval,
    created_at: iso(service.createdAt),
    updated_at: iso(service.updatedAt),
  };
}

/**
 * The other prices of a service whose main price is in `currency`: one per currency, never the main
 * one (that is `unit_price`). Amounts are already integers in each currency's minor units (the schema).
 */
function checkedPrices(currency: string, prices: readonly ServicePrice[]): ServicePrice[] {
  const seen = new Set<string>();
  prices.forEach((price, index) => {
    if (price.currency === currency) {
      throw invalidField(
        `prices[${index}].currency`,
        `${currency} is the service's main currency; its price is unit_price`,
      );
    }
    if (seen.has(price.currency)) {
      throw invalidField(`prices[${index}].currency`, `${price.currency} is listed more than once`);
    }
    seen.add(price.currency);
  });
  return [...prices].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}

const pricesInput = (prices: readonly { currency: string; unit_price: number }[]): ServicePrice[] =>
  prices.map((price) => ({ currency: price.currency, unitPrice: price.unit_price }));

const codeTaken = (code: string): AppError =>
  new AppError('conflict', 'already_exists', `A service with code '${code}' already exists`, {
    field: 'code',
    code,
  });

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };

export const serviceRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  /** Reads the service FOR UPDATE, applies `patch` and writes it back, all in one transaction. */
  const change = (tenantId: string, id: string, patch: Partial<Service>) =>
    db.transaction(async (tx) => {
      const current = await getService(tx, tenantId, id, 'update');
      if (!current) throw notFound('service', id);
      const merged = { ...current, ...patch };
      const next = { ...merged, prices: checkedPrices(merged.currency, merged.prices) };
      if (next.code !== current.code && (await serviceCodeTaken(tx, tenantId, next.code, id))) {
        throw codeTaken(next.code);
      }
      const updated = await updateService(tx, next);
      await enqueueServiceSync(tx, tenantId, id);
      await enqueueQboServiceSync(tx, tenantId, id);
      return updated;
    });

  app.post(
    '/services',
    {
      schema: {
        tags: ['services'],
        summary: 'Add a service to the catalog',
        body: createService,
        response: { 201: serviceSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const b = request.body;
      const prices = checkedPrices(b.currency, pricesInput(b.prices));
      const service = await db.transaction(async (tx) => {
        const created = await insertService(tx, tenantId, {
          code: b.code,
          name: b.name,
          description: b.description,
          unitPrice: b.unit_price,
          currency: b.currency,
          prices,
          taxRate: b.tax_rate,
          taxInclusive: b.tax_inclusive,
          recurringInterval: b.recurring_interval,
        });
        if (created) await enqueueServiceSync(tx, tenantId, created.id);
        if (created) await enqueueQboServiceSync(tx, tenantId, created.id);
        return created;
      });
      if (!service) throw codeTaken(b.code);
      return reply.status(201).send(serviceJson(service));
    },
  );

  app.get(
    '/services',
    {
      schema: {
        tags: ['services'],
        summary: 'List catalog services, newest first',
        querystring: listQuery.extend({
          ...dateRangeQuery.shape,
          status: z.enum(SERVICE_STATUSES).optional(),
          currency: currencyCode.optional(),
        }),
        response: { 200: page(serviceSchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const q = request.query;
      const result = await listServices(db, tenantId, {
        status: q.status,
        currency: q.currency,
        createdFrom: q.created_from,
        createdTo: q.created_to,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { data: result.data.map(serviceJson), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/services/:id',
    {
      schema: {
        tags: ['services'],
        summary: 'Get a service',
        params: idParam,
        response: { 200: serviceSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const service = await getService(db, tenantId, request.params.id);
      if (!service) throw notFound('service', request.params.id);
      return serviceJson(service);
    },
  );

  app.patch(
    '/services/:id',
    {
      schema: {
        tags: ['services'],
        summary: 'Update, archive or unarchive a service',
        description: 'Changing the price does not change billables already created from the service.',
        params: idParam,
        body: patchService,
        response: { 200: serviceSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const b = request.body;
      const service = await change(tenantId, request.params.id, {
        ...(b.code !== undefined && { code: b.code }),
        ...(b.name !== undefined && { name: b.name }),
        ...(b.description !== undefined && { description: b.description }),
        ...(b.unit_price !== undefined && { unitPrice: b.unit_price }),
        ...(b.currency !== undefined && { currency: b.currency }),
        ...(b.prices !== undefined && { prices: pricesInput(b.prices) }),
        ...(b.tax_rate !== undefined && { taxRate: b.tax_rate }),
        ...(b.tax_inclusive !== undefined && { taxInclusive: b.tax_inclusive }),
        ...(b.recurring_interval !== undefined && { recurringInterval: b.recurring_interval }),
        ...(b.status !== undefined && { status: b.status }),
      });
      return serviceJson(service);
    },
  );

  app.delete(
    '/services/:id',
    {
      schema: {
        tags: ['services'],
        summary: 'Archive a service',
        description:
          'Services are never deleted (billables and invoice lines reference them): this archives it so it ' +
          'cannot be used for new billables, and returns it. PATCH `status: "active"` restores it.',
        params: idParam,
        response: { 200: serviceSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const service = await change(tenantId, request.params.id, { status: 'archived' });
      return serviceJson(service);
    },
  );
};
