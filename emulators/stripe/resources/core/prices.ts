import type Stripe from 'stripe';
import { z } from 'zod';
import { invalidRequest, parameterMissing } from '../../kernel/errors.js';
import { stripeId } from '../../kernel/ids.js';
import {
  bool,
  emptyable,
  expand,
  int,
  listParams,
  mergeMetadata,
  metadata,
  parseParams,
  str,
} from '../../kernel/params.js';
import type { RequestContext } from '../../kernel/router.js';
import type { AccountState } from '../../kernel/state.js';
import type { ResourceModule } from '../../server.js';
import { listObjects, previousAttributes, type Stored, store, textOrNull, wantsInclude } from './common.js';
import type { amountOption } from './catalog-params.js';
import {
  amounts,
  currency,
  currencyOptions,
  defaultPriceDataParam,
  productDataParam,
  recurring,
  taxBehavior,
} from './catalog-params.js';
import { createProduct } from './products.js';

export type Price = Stored<Stripe.Price>;
type CurrencyOptions = Record<string, Stripe.Price.CurrencyOptions>;

const createSchema = defaultPriceDataParam()
  .extend({
    active: bool().optional(),
    billing_scheme: z.enum(['per_unit']).optional(),
    expand: expand(),
    lookup_key: str(200).optional(),
    nickname: str().optional(),
    product: str(255).optional(),
    product_data: productDataParam().optional(),
    recurring: recurring.optional(),
    transfer_lookup_key: bool().optional(),
    transform_quantity: z
      .object({ divide_by: int(1), round: z.enum(['down', 'up']) })
      .strict()
      .optional(),
  })
  .strict();
type PriceInput = Omit<z.output<typeof createSchema>, 'expand'>;

// Amounts are deliberately absent: Stripe refuses `unit_amount` on update as an unknown parameter.
const updateSchema = z
  .object({
    active: bool().optional(),
    currency_options: emptyable(currencyOptions()).optional(),
    expand: expand(),
    lookup_key: str(200).optional(),
    metadata: metadata(),
    nickname: str().optional(),
    tax_behavior: taxBehavior().optional(),
    transfer_lookup_key: bool().optional(),
  })
  .strict();

const listSchema = z
  .object({
    ...listParams,
    active: bool().optional(),
    currency: currency().optional(),
    lookup_keys: z.array(str(200)).max(10).optional(),
    product: str(255).optional(),
    recurring: z
      .object({
        interval: recurring.shape.interval.optional(),
        meter: str().optional(),
        usage_type: recurring.shape.usage_type.optional(),
      })
      .strict()
      .optional(),
    type: z.enum(['one_time', 'recurring']).optional(),
  })
  .strict();

/**
 * `currency_options` is one of Stripe's includable fields: rendered only when asked for with
 * `expand[]=currency_options`. The stored price keeps the other currencies in a non-enumerable
 * property, so code in the emulator reads `price.currency_options` while JSON responses, event
 * snapshots and expansions (structuredClone) leave it out, as Stripe does.
 */
function extraCurrencies(price: Price): CurrencyOptions {
  return price.currency_options ?? {};
}

function setExtraCurrencies(price: Price, options: CurrencyOptions): void {
  Object.defineProperty(price, 'currency_options', {
    value: options,
    enumerable: false,
    writable: true,
    configurable: true,
  });
}

/** Prices: create (`product` or `product_data`), retrieve, update (never amounts), list. */
export const pricesResource: ResourceModule = (router) => {
  router.post('/v1/prices', (context) => {
    const { expand: _expand, ...params } = parseParams(createSchema, context.params);
    return render(createPrice(context, params), context.params.expand);
  });

  router.get('/v1/prices/:id', ({ account, pathParams, params }) => {
    parseParams(z.object({ expand: expand() }).strict(), params);
    return render(account.get<Price>('price', String(pathParams.id)), params.expand);
  });

  router.post('/v1/prices/:id', (context) => {
    const price = context.account.get<Price>('price', String(context.pathParams.id));
    const p = parseParams(updateSchema, context.params);
    if (
      p.tax_behavior !== undefined &&
      price.tax_behavior !== 'unspecified' &&
      p.tax_behavior !== price.tax_behavior
    ) {
      throw invalidRequest('You cannot change tax_behavior once it is set to inclusive or exclusive.', {
        param: 'tax_behavior',
      });
    }
    if (p.lookup_key !== undefined)
      claimLookupKey(context.account, p.lookup_key, p.transfer_lookup_key, price);
    const before = { ...structuredClone(price), currency_options: extraCurrencies(price) };
    if (p.active !== undefined) price.active = p.active;
    if (p.lookup_key !== undefined) price.lookup_key = textOrNull(p.lookup_key);
    if (p.metadata !== undefined) price.metadata = mergeMetadata(price.metadata, p.metadata);
    if (p.nickname !== undefined) price.nickname = textOrNull(p.nickname);
    if (p.tax_behavior !== undefined) price.tax_behavior = p.tax_behavior;
    if (p.currency_options !== undefined) {
      const added =
        p.currency_options === '' ? {} : buildCurrencyOptions(p.currency_options, price.tax_behavior);
      setExtraCurrencies(price, p.currency_options === '' ? {} : { ...extraCurrencies(price), ...added });
    }
    const changed = previousAttributes(before, { ...price, currency_options: extraCurrencies(price) });
    if (Object.keys(changed).length > 0) context.emit('price.updated', price, changed);
    return render(price, context.params.expand);
  });

  router.get('/v1/prices', ({ account, params }) => {
    const q = parseParams(listSchema, params);
    const list = listObjects<Price>(
      account,
      'price',
      q,
      '/v1/prices',
      (price) =>
        (q.active === undefined || price.active === q.active) &&
        (q.currency === undefined || price.currency === q.currency) &&
        (q.product === undefined || price.product === q.product) &&
        (q.type === undefined || price.type === q.type) &&
        (q.lookup_keys === undefined || q.lookup_keys.includes(price.lookup_key ?? '')) &&
        (q.recurring?.interval === undefined || price.recurring?.interval === q.recurring.interval) &&
        (q.recurring?.usage_type === undefined || price.recurring?.usage_type === q.recurring.usage_type),
    );
    return { ...list, data: list.data.map((price) => render(price, params.expand)) };
  });
};

/**
 * Validates and stores a price, emitting `price.created` unless the caller announces it itself, and
 * `product.created` first when `product_data` creates the product.
 */
export function createPrice(context: RequestContext, p: PriceInput, emit = true): Price {
  const { account } = context;
  if (p.unit_amount !== undefined && p.unit_amount_decimal !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: unit_amount, unit_amount_decimal.');
  }
  if (p.unit_amount === undefined && p.unit_amount_decimal === undefined)
    throw parameterMissing('unit_amount');
  if (p.product !== undefined && p.product_data !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: product, product_data.');
  }
  if (p.product === undefined && p.product_data === undefined) throw parameterMissing('product');
  if (p.product !== undefined && !account.find('product', p.product)) {
    throw invalidRequest(`No such product: '${p.product}'`, { code: 'resource_missing', param: 'product' });
  }
  if (p.currency_options?.[p.currency]) {
    throw invalidRequest(`currency_options[${p.currency}] cannot be the price's own currency.`, {
      param: `currency_options[${p.currency}]`,
    });
  }
  const options = buildCurrencyOptions(p.currency_options ?? {}, p.tax_behavior ?? 'unspecified');
  const amount = amounts(p);
  // Everything is validated before anything is written: a failed request leaves no trace.
  if (p.product_data?.id !== undefined && account.objects.has(p.product_data.id)) {
    throw invalidRequest('Product already exists.', {
      param: 'product_data[id]',
      code: 'resource_already_exists',
    });
  }
  if (p.lookup_key !== undefined) claimLookupKey(account, p.lookup_key, p.transfer_lookup_key, undefined);
  let productId = p.product ?? '';
  if (p.product_data) {
    const product = createProduct(context, p.product_data);
    context.emit('product.created', product);
    productId = product.id;
  }
  const price = store<Stripe.Price>(account, {
    id: stripeId('price', 24),
    object: 'price',
    active: p.active ?? true,
    billing_scheme: 'per_unit',
    created: context.now,
    currency: p.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: p.lookup_key ?? null,
    metadata: mergeMetadata({}, p.metadata),
    nickname: p.nickname ?? null,
    product: productId,
    recurring: p.recurring
      ? {
          interval: p.recurring.interval,
          interval_count: p.recurring.interval_count ?? 1,
          meter: p.recurring.meter ?? null,
          trial_period_days: p.recurring.trial_period_days ?? null,
          usage_type: p.recurring.usage_type ?? 'licensed',
        }
      : null,
    tax_behavior: p.tax_behavior ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: p.transform_quantity ?? null,
    type: p.recurring ? 'recurring' : 'one_time',
    unit_amount: amount.unit_amount,
    unit_amount_decimal: amount.unit_amount_decimal,
  });
  setExtraCurrencies(price, options);
  if (emit) context.emit('price.created', price);
  return price;
}

/**
 * The amount a price charges in a currency: its own, or one of its `currency_options`. Invoices
 * in another currency price their lines with this, as Stripe does for multi-currency prices.
 */
export function priceAmountIn(price: Price, currencyCode: string): Stripe.Price.CurrencyOptions | undefined {
  if (currencyCode === price.currency) {
    return {
      custom_unit_amount: null,
      tax_behavior: price.tax_behavior,
      unit_amount: price.unit_amount,
      unit_amount_decimal: price.unit_amount_decimal,
    };
  }
  return extraCurrencies(price)[currencyCode];
}

function render(price: Price, expandParam: unknown): Price {
  if (!wantsInclude(expandParam, 'currency_options')) return price;
  const options: CurrencyOptions = {};
  for (const code of [price.currency, ...Object.keys(extraCurrencies(price))].sort()) {
    const option = priceAmountIn(price, code);
    if (option) options[code] = option;
  }
  return { ...price, currency_options: options };
}

function buildCurrencyOptions(
  input: Record<string, z.output<typeof amountOption>>,
  defaultTaxBehavior: Stripe.Price.TaxBehavior | null,
): CurrencyOptions {
  const options: CurrencyOptions = {};
  for (const [code, option] of Object.entries(input)) {
    if (option.unit_amount === undefined && option.unit_amount_decimal === undefined) {
      throw parameterMissing(`currency_options[${code}][unit_amount]`);
    }
    options[code] = {
      custom_unit_amount: null,
      tax_behavior: option.tax_behavior ?? defaultTaxBehavior,
      ...amounts(option),
    };
  }
  return options;
}

/** Lookup keys are unique per account; `transfer_lookup_key` moves one from the price holding it. */
function claimLookupKey(
  account: AccountState,
  key: string,
  transfer: boolean | undefined,
  self: Price | undefined,
): void {
  if (key === '') return;
  const holder = account.all<Price>('price').find((price) => price.lookup_key === key && price !== self);
  if (!holder) return;
  if (!transfer) {
    throw invalidRequest(`A price (\`${holder.id}\`) already uses that lookup key.`, { param: 'lookup_key' });
  }
  holder.lookup_key = null;
}
