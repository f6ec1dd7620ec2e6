import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import { PermanentJobError } from '../../../jobs/errors.js';
import {
  type ExternalLink,
  dropLinkToOtherAccount,
  findLinkByLocal,
  upsertLink,
} from '../../../store/repositories/external-links.js';
import { getService, type Service } from '../../../store/repositories/services.js';
import { call, keyFor, ourMetadata, type SyncContext } from './context.js';

/**
 * Service catalog → Stripe products and prices.
 *
 * - Product: id `lb_<service id>` (a custom id, so even a retry whose idempotency key was burnt cannot
 *   make a second product), name `<code> — <name>` (the code is what the issue maps to the product
 *   name; the name keeps it readable on Stripe's pages), description = the service's description,
 *   `active` = not archived. Archiving archives the product; it is never deleted.
 * - Price: one Stripe price per service: the unit price in its main currency, its prices in other
 *   currencies as `currency_options[<currency>][unit_amount]` (each with the same tax behavior),
 *   `recurring[interval]` for recurring services, `tax_behavior` inclusive or exclusive when the service
 *   has a tax rate. We treat a price as immutable (Stripe's amounts are; its currency_options could be
 *   edited, but one price per set of amounts keeps every past invoice and subscription pointing at
 *   what it was sold at): a change to any amount is a new price, made the product's `default_price`,
 *   and the old one is deactivated.
 * - The link service ↔ product keeps the current price in its data (price id, currency, amount, other
 *   currencies as "eur:9000 gbp:8000", interval, tax behavior) and the version of the service last
 *   written to Stripe.
 */
interface PriceSpec {
  readonly currency: string;
  readonly unit_amount: number;
  /** The other currencies, canonical ("eur:9000 gbp:8000", sorted; "" for none) so links compare by value. */
  readonly currency_options: string;
  readonly interval: Service['recurringInterval'];
  readonly tax_behavior: 'inclusive' | 'exclusive' | null;
}

interface ServiceLinkData extends PriceSpec {
  readonly price_id: string;
  readonly version: number;
}

export const SERVICE_SYNC_PRICE_KEYS = [
  'currency',
  'unit_amount',
  'currency_options',
  'interval',
  'tax_behavior',
] as const;

function optionsText(options: readonly (readonly [string, number | null | undefined])[]): string {
  return options
    .map(([code, amount]) => `${code.toLowerCase()}:${amount ?? ''}`)
    .sort()
    .join(' ');
}

function priceSpec(service: Service): PriceSpec {
  return {
    currency: service.currency.toLowerCase(),
    unit_amount: service.unitPrice,
    currency_options: optionsText(service.prices.map((price) => [price.currency, price.unitPrice])),
    interval: service.recurringInterval,
    tax_behavior: service.taxRate === null ? null : service.taxInclusive ? 'inclusive' : 'exclusive',
  };
}

function samePrice(a: PriceSpec, b: Readonly<Record<string, unknown>>): boolean {
  // Links written before services had other currencies have no currency_options: they had none.
  const other: Readonly<Record<string, unknown>> = { ...b, currency_options: b.currency_options ?? '' };
  return SERVICE_SYNC_PRICE_KEYS.every((key) => a[key] === other[key]);
}

export function productIdFor(serviceId: string): string {
  return `lb_${serviceId}`;
}

function productFields(service: Service) {
  return { name: `${service.code} — ${service.name}`, active: service.status === 'active' };
}

function currencyOptions(spec: PriceSpec): Record<string, Stripe.PriceCreateParams.CurrencyOptions> {
  const options: Record<string, Stripe.PriceCreateParams.CurrencyOptions> = {};
  for (const entry of spec.currency_options === '' ? [] : spec.currency_options.split(' ')) {
    const [code = '', amount = ''] = entry.split(':');
    options[code] = {
      unit_amount: Number(amount),
      ...(spec.tax_behavior === null ? {} : { tax_behavior: spec.tax_behavior }),
    };
  }
  return options;
}

function priceParams(spec: PriceSpec) {
  return {
    currency: spec.currency,
    unit_amount: spec.unit_amount,
    ...(spec.currency_options === '' ? {} : { currency_options: currencyOptions(spec) }),
    ...(spec.interval === null ? {} : { recurring: { interval: spec.interval } }),
    ...(spec.tax_behavior === null ? {} : { tax_behavior: spec.tax_behavior }),
  };
}

function priceKey(ctx: SyncContext, serviceId: string, spec: PriceSpec): string {
  return keyFor(
    ctx,
    serviceId,
    'price',
    spec.currency,
    spec.unit_amount,
    // The same main amount with other currencies is another price; hashed, as Stripe's keys stop at 255.
    spec.currency_options === ''
      ? 'single'
      : createHash('sha256').update(spec.currency_options).digest('hex').slice(0, 16),
    spec.interval ?? 'once',
    spec.tax_behavior ?? 'none',
  );
}

function linkData(spec: PriceSpec, priceId: string, service: Service): ServiceLinkData {
  return { ...spec, price_id: priceId, version: service.updatedAt.getTime() };
}

/** The Stripe product of a service, creating it (with its price) when the service has none yet. */
export async function ensureProduct(ctx: SyncContext, serviceId: string): Promise<string> {
  const link = await currentLink(ctx, serviceId);
  if (link) return link.externalId;
  return (await syncService(ctx, serviceId)).productId;
}

/** The service's link in the connected account; one to another account is dropped (see contactLink). */
async function currentLink(ctx: SyncContext, serviceId: string): Promise<ExternalLink | undefined> {
  const ref = {
    tenantId: ctx.tenantId,
    provider: 'stripe',
    localType: 'service',
    localId: serviceId,
  } as const;
  await dropLinkToOtherAccount(ctx.db, { ...ref, account: ctx.account });
  return findLinkByLocal(ctx.db, ref);
}

/** Makes the service's Stripe product and price match the service as it is now. */
export async function syncService(
  ctx: SyncContext,
  serviceId: string,
): Promise<{ productId: string; priceId: string; calls: number }> {
  const service = await getService(ctx.db, ctx.tenantId, serviceId);
  if (!service) throw new PermanentJobError(`service ${serviceId} does not exist`);
  const link = await currentLink(ctx, serviceId);
  const spec = priceSpec(service);
  if (!link) return createProduct(ctx, service, spec);

  const data = link.data as Partial<ServiceLinkData>;
  const version = service.updatedAt.getTime();
  const { stripe } = ctx.access;
  let calls = 0;
  let priceId = data.price_id;
  const oldPriceId = data.price_id;
  if (priceId === undefined || !samePrice(spec, data)) {
    const price = await call(
      ctx,
      `create the price of service ${service.code}`,
      priceKey(ctx, serviceId, spec),
      (o) =>
        stripe.prices.create(
          {
            product: link.externalId,
            ...priceParams(spec),
            metadata: ourMetadata(ctx, { ledgerbridge_service_id: serviceId }),
          },
          o,
        ),
    );
    calls += 1;
    priceId = price.id;
    if (!price.active) {
      // The same price as an earlier one (its creation replayed under the same key): bring it back.
      await call(
        ctx,
        `reactivate a price of service ${service.code}`,
        keyFor(ctx, price.id, 'activate', version),
        (o) => stripe.prices.update(price.id, { active: true }, o),
      );
      calls += 1;
    }
  }
  if (data.version !== version || priceId !== oldPriceId) {
    await call(
      ctx,
      `update the product of service ${service.code}`,
      keyFor(ctx, serviceId, 'product', version),
      (o) =>
        stripe.products.update(
          link.externalId,
          {
            ...productFields(service),
            description: service.description ?? '',
            ...(priceId === oldPriceId ? {} : { default_price: priceId }),
          },
          o,
        ),
    );
    calls += 1;
  }
  if (oldPriceId !== undefined && priceId !== oldPriceId) {
    await call(
      ctx,
      `deactivate the old price of service ${service.code}`,
      keyFor(ctx, oldPriceId, 'deactivate', version),
      (o) => stripe.prices.update(oldPriceId, { active: false }, o),
    );
    calls += 1;
  }
  await upsertLink(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'stripe',
    localType: 'service',
    localId: serviceId,
    externalId: link.externalId,
    externalAccount: ctx.account,
    data: { ...linkData(spec, priceId, service) },
  });
  return { productId: link.externalId, priceId, calls };
}

async function createProduct(ctx: SyncContext, service: Service, spec: PriceSpec) {
  const { stripe } = ctx.access;
  const productId = productIdFor(service.id);
  let product: Stripe.Product | undefined;
  let calls = 0;
  if (ctx.retrying) {
    // A previous attempt may have created it before failing: the custom id finds it.
    product = await call(ctx, `look up the product of service ${service.code}`, undefined, (o) =>
      stripe.products.retrieve(productId, {}, o).catch((error: unknown) => {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      }),
    );
    calls += 1;
  }
  product ??= await call(
    ctx,
    `create the product of service ${service.code}`,
    keyFor(ctx, service.id, 'product'),
    (o) =>
      stripe.products.create(
        {
          id: productId,
          name: productFields(service).name,
          ...(service.description === null ? {} : { description: service.description }),
          metadata: ourMetadata(ctx, {
            ledgerbridge_service_id: service.id,
            ledgerbridge_service_code: service.code,
          }),
          default_price_data: {
            ...priceParams(spec),
            metadata: ourMetadata(ctx, { ledgerbridge_service_id: service.id }),
          },
        },
        o,
      ),
  );
  calls += 1;
  const priceId =
    typeof product.default_price === 'string' ? product.default_price : product.default_price?.id;
  if (!priceId)
    throw new PermanentJobError(`Stripe product ${product.id} came back without its default price`);
  // A product made by an earlier attempt from an older version of the service (or archived) is brought
  // up to date by the update path: version 0 forces the product update, a blank currency a new price.
  const archived = service.status !== 'active';
  const staleProduct =
    ctx.retrying &&
    (product.name !== productFields(service).name || (product.description ?? null) !== service.description);
  const stalePrice = !(await priceMatches(ctx, priceId, spec));
  const data = linkData(spec, priceId, service);
  await upsertLink(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'stripe',
    localType: 'service',
    localId: service.id,
    externalId: product.id,
    externalAccount: ctx.account,
    data: {
      ...data,
      ...(archived || staleProduct ? { version: 0 } : {}),
      ...(stalePrice ? { currency: '' } : {}),
    },
  });
  if (archived || staleProduct || stalePrice) {
    const updated = await syncService(ctx, service.id);
    return { ...updated, calls: updated.calls + calls };
  }
  return { productId: product.id, priceId, calls };
}

/** Whether the product's default price is what the service asks for (no call when just created). */
async function priceMatches(ctx: SyncContext, priceId: string, spec: PriceSpec): Promise<boolean> {
  if (!ctx.retrying) return true;
  // currency_options is includable: Stripe leaves it out of a price unless asked for.
  const price = await call(ctx, 'look up a price', undefined, (o) =>
    ctx.access.stripe.prices.retrieve(priceId, { expand: ['currency_options'] }, o),
  );
  const others = Object.entries(price.currency_options ?? {}).filter(([code]) => code !== price.currency);
  return samePrice(spec, {
    currency: price.currency,
    unit_amount: price.unit_amount ?? -1,
    currency_options: optionsText(others.map(([code, option]) => [code, option.unit_amount])),
    interval: price.recurring?.interval ?? null,
    tax_behavior: price.tax_behavior === 'unspecified' ? null : price.tax_behavior,
  });
}
