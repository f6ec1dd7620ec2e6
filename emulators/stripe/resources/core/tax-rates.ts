import type Stripe from 'stripe';
import { z } from 'zod';
import { stripeId } from '../../kernel/ids.js';
import {
  bool,
  decimal,
  expand,
  listParams,
  mergeMetadata,
  metadata,
  parseParams,
  str,
} from '../../kernel/params.js';
import type { ResourceModule } from '../../server.js';
import { listObjects, type Stored, store, textOrNull, updateWithEvent } from './common.js';

type TaxRate = Stored<Stripe.TaxRate>;

/** TaxRate.TaxType as this SDK version lists it. */
const TAX_TYPES = [
  'admissions_tax',
  'amusement_tax',
  'attendance_tax',
  'communications_tax',
  'digital_excise_tax',
  'entertainment_tax',
  'get_fund',
  'gross_receipts_tax',
  'gst',
  'hospitality_tax',
  'hst',
  'igst',
  'jct',
  'lease_tax',
  'luxury_tax',
  'mass_transit_parking_tax',
  'nhil',
  'parking_tax',
  'pst',
  'qst',
  'resort_tax',
  'retail_delivery_fee',
  'rst',
  'sales_tax',
  'service_tax',
  'tourism_tax',
  'utility_users_tax',
  'vat',
] as const;

/** Fields both create and update accept (TaxRateCreateParams / TaxRateUpdateParams). */
const editable = {
  active: bool().optional(),
  country: str(2).optional(),
  description: str().optional(),
  display_name: str(50).optional(),
  expand: expand(),
  jurisdiction: str(50).optional(),
  metadata: metadata(),
  state: str(2).optional(),
  tax_type: z.enum(TAX_TYPES).optional(),
};

const percentage = decimal()
  .transform(Number)
  .refine((value) => value >= 0 && value <= 100, { message: 'must be between 0 and 100' });

const createSchema = z.object({ ...editable, display_name: str(50), inclusive: bool(), percentage }).strict();
// A tax rate's percentage and inclusiveness are fixed once created: Stripe has no such update parameter.
const updateSchema = z.object(editable).strict();
const listSchema = z
  .object({ ...listParams, active: bool().optional(), inclusive: bool().optional() })
  .strict();

/** Tax rates: create, retrieve, update (not the percentage), list. */
export const taxRatesResource: ResourceModule = (router) => {
  router.post('/v1/tax_rates', (context) => {
    const p = parseParams(createSchema, context.params);
    const rate = store<Stripe.TaxRate>(context.account, {
      id: stripeId('txr', 24),
      object: 'tax_rate',
      active: p.active ?? true,
      country: p.country ?? null,
      created: context.now,
      description: p.description ?? null,
      display_name: p.display_name,
      effective_percentage: null,
      flat_amount: null,
      inclusive: p.inclusive,
      jurisdiction: p.jurisdiction ?? null,
      jurisdiction_level: null,
      livemode: false,
      metadata: mergeMetadata({}, p.metadata),
      percentage: p.percentage,
      rate_type: 'percentage',
      state: p.state ?? null,
      tax_type: p.tax_type ?? null,
    });
    context.emit('tax_rate.created', rate);
    return rate;
  });

  router.get('/v1/tax_rates/:id', ({ account, pathParams, params }) => {
    parseParams(z.object({ expand: expand() }).strict(), params);
    return account.get<TaxRate>('tax_rate', String(pathParams.id));
  });

  router.post('/v1/tax_rates/:id', (context) => {
    const rate = context.account.get<TaxRate>('tax_rate', String(context.pathParams.id));
    const p = parseParams(updateSchema, context.params);
    return updateWithEvent(context, rate, (r) => {
      if (p.active !== undefined) r.active = p.active;
      if (p.country !== undefined) r.country = textOrNull(p.country);
      if (p.description !== undefined) r.description = textOrNull(p.description);
      if (p.display_name !== undefined) r.display_name = p.display_name;
      if (p.jurisdiction !== undefined) r.jurisdiction = textOrNull(p.jurisdiction);
      if (p.metadata !== undefined) r.metadata = mergeMetadata(r.metadata ?? {}, p.metadata);
      if (p.state !== undefined) r.state = textOrNull(p.state);
      if (p.tax_type !== undefined) r.tax_type = p.tax_type;
    });
  });

  router.get('/v1/tax_rates', ({ account, params }) => {
    const q = parseParams(listSchema, params);
    return listObjects<TaxRate>(
      account,
      'tax_rate',
      q,
      '/v1/tax_rates',
      (r) =>
        (q.active === undefined || r.active === q.active) &&
        (q.inclusive === undefined || r.inclusive === q.inclusive),
    );
  });
};
