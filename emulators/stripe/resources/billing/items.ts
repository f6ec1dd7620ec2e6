import type Stripe from 'stripe';
import { z } from 'zod';
import { invalidRequest, parameterMissing } from '../../kernel/errors.js';
import { stripeId } from '../../kernel/ids.js';
import { bool, decimal, emptyable, int, metadata, mergeMetadata, str } from '../../kernel/params.js';
import { getPrice, getTaxRates, type PriceObject, unitAmountDecimal } from './catalog.js';
import type { Env, Stored } from './env.js';
import { addLine, type InvoiceObject, lineForItem } from './lines.js';
import { fromFixed12, lineAmount, toFixed12 } from './money.js';

export type ItemObject = Stored<Stripe.InvoiceItem>;

export const currencyParam = () =>
  z
    .string()
    .regex(/^[a-zA-Z]{3}$/)
    .transform((code) => code.toLowerCase());

/** The parameters an invoice item and an `add_lines` line share (Stripe's names). */
export const lineFields = {
  amount: int().optional(),
  description: str().optional(),
  discountable: bool().optional(),
  // Coupons are not emulated; only clearing discounts is accepted.
  discounts: z.literal('').optional(),
  metadata: metadata(),
  period: z.object({ start: int(), end: int() }).strict().optional(),
  price_data: z
    .object({
      currency: currencyParam(),
      product: str(255).optional(),
      tax_behavior: z.enum(['exclusive', 'inclusive', 'unspecified']).optional(),
      unit_amount: int(0).optional(),
      unit_amount_decimal: decimal().optional(),
    })
    .strict()
    .optional(),
  pricing: z
    .object({ price: str(255).optional() })
    .strict()
    .optional(),
  quantity: int(0).optional(),
  quantity_decimal: decimal().optional(),
  tax_rates: emptyable(z.array(str(255)).max(10)).optional(),
};
export type LineInput = z.output<z.ZodObject<typeof lineFields>> & {
  unit_amount_decimal?: string | undefined;
};

/** A parameter's name inside a nested one: `at('lines[0]', 'pricing[price]')` → `lines[0][pricing][price]`. */
function at(prefix: string, name: string): string {
  if (!prefix) return name;
  const open = name.indexOf('[');
  return open < 0 ? `${prefix}[${name}]` : `${prefix}[${name.slice(0, open)}]${name.slice(open)}`;
}

interface Pricing {
  amount: number;
  unitAmountDecimal: string;
  price: PriceObject | null;
  quantity: number;
  quantityDecimal: string;
}

/**
 * Works out what a line costs from exactly one of `amount`, `pricing[price]`, `price_data` or
 * `unit_amount_decimal`, times `quantity` (or `quantity_decimal`), rounded half-up.
 */
function price(env: Env, input: LineInput, currency: string, prefix: string, dryRun = false): Pricing {
  const sources = [
    input.amount !== undefined && 'amount',
    input.pricing?.price !== undefined && 'pricing[price]',
    input.price_data !== undefined && 'price_data',
    input.unit_amount_decimal !== undefined && 'unit_amount_decimal',
  ].filter((source): source is string => source !== false);
  if (sources.length > 1) {
    throw invalidRequest(`You may only specify one of these parameters: ${sources.join(', ')}.`, {
      param: at(prefix, sources[1] ?? ''),
    });
  }
  if (input.quantity !== undefined && input.quantity_decimal !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: quantity, quantity_decimal.', {
      param: at(prefix, 'quantity_decimal'),
    });
  }
  const quantityDecimal = input.quantity_decimal ?? String(input.quantity ?? 1);
  const quantity = lineAmount('1', quantityDecimal);
  let unit: string;
  let priceObject: PriceObject | null = null;
  if (input.amount !== undefined) {
    const q = toFixed12(quantityDecimal);
    unit = q === 0n ? String(input.amount) : fromFixed12((BigInt(input.amount) * 10n ** 24n) / q);
    return { amount: input.amount, unitAmountDecimal: unit, price: null, quantity, quantityDecimal };
  } else if (input.pricing?.price !== undefined) {
    priceObject = getPrice(env.account, input.pricing.price, at(prefix, 'pricing[price]'));
    if (!priceObject.active) {
      throw invalidRequest(
        `The price specified (${priceObject.id}) is inactive. This field only accepts active prices.`,
        {
          param: at(prefix, 'pricing[price]'),
        },
      );
    }
    if (priceObject.type === 'recurring') {
      throw invalidRequest(
        `The price specified (${priceObject.id}) is set to \`type=recurring\` but this field only accepts prices with \`type=one_time\`.`,
        { param: at(prefix, 'pricing[price]') },
      );
    }
    unit = unitAmountDecimal(priceObject, currency, at(prefix, 'pricing[price]'));
  } else if (input.price_data !== undefined) {
    priceObject = inlinePrice(env, input.price_data, at(prefix, 'price_data'), dryRun);
    unit = unitAmountDecimal(priceObject, currency, at(prefix, 'price_data[currency]'));
  } else if (input.unit_amount_decimal !== undefined) {
    unit = input.unit_amount_decimal;
  } else {
    throw invalidRequest(
      'You must specify one of `amount`, `pricing[price]`, `price_data` or `unit_amount_decimal`.',
      { param: at(prefix, 'amount') },
    );
  }
  return {
    amount: lineAmount(unit, quantityDecimal),
    unitAmountDecimal: unit,
    price: priceObject,
    quantity,
    quantityDecimal,
  };
}

/** `price_data` makes a one-off inactive price on the product, as Stripe does. */
function inlinePrice(
  env: Env,
  data: NonNullable<LineInput['price_data']>,
  param: string,
  dryRun: boolean,
): PriceObject {
  if (data.product === undefined) throw parameterMissing(`${param}[product]`);
  env.account.get('product', data.product, `${param}[product]`);
  if ((data.unit_amount === undefined) === (data.unit_amount_decimal === undefined)) {
    throw invalidRequest('You must pass exactly one of `unit_amount` or `unit_amount_decimal`.', {
      param: `${param}[unit_amount]`,
    });
  }
  const unitDecimal = data.unit_amount_decimal ?? String(data.unit_amount);
  const exact = toFixed12(unitDecimal) % 10n ** 12n === 0n;
  const created: PriceObject = {
    id: stripeId('price'),
    object: 'price',
    active: false,
    billing_scheme: 'per_unit',
    created: env.now,
    currency: data.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: data.product,
    recurring: null,
    tax_behavior: data.tax_behavior ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'one_time',
    unit_amount: exact ? Number(toFixed12(unitDecimal) / 10n ** 12n) : null,
    unit_amount_decimal: fromFixed12(toFixed12(unitDecimal)),
  };
  return dryRun ? created : env.account.insert(created);
}

/**
 * Checks a line the way creating it would (prices, products, tax rates, exclusive parameters)
 * without storing anything, so a multi-line request fails before its first line is created.
 */
export function validateLine(env: Env, input: LineInput, currency: string, prefix: string): void {
  price(env, input, currency, prefix, true);
  if (input.tax_rates) getTaxRates(env.account, input.tax_rates, at(prefix, 'tax_rates'));
}

export interface ItemTarget {
  customer: string;
  currency: string;
  invoice: InvoiceObject | null;
  subscription?: string;
}

/** Creates an invoice item (and its line when it goes on an invoice), emitting invoiceitem.created. */
export function createItem(env: Env, input: LineInput, target: ItemTarget, prefix = ''): ItemObject {
  const pricing = price(env, input, target.currency, prefix);
  const rates = input.tax_rates ? getTaxRates(env.account, input.tax_rates, at(prefix, 'tax_rates')) : [];
  const item: ItemObject = {
    id: stripeId('ii'),
    object: 'invoiceitem',
    amount: pricing.amount,
    currency: target.currency,
    customer: target.customer,
    customer_account: null,
    date: env.now,
    description: input.description ?? null,
    discountable: input.discountable ?? pricing.amount >= 0,
    discounts: [],
    invoice: target.invoice?.id ?? null,
    livemode: false,
    metadata: mergeMetadata({}, input.metadata),
    net_amount: pricing.amount,
    parent: target.subscription
      ? { type: 'subscription_details', subscription_details: { subscription: target.subscription } }
      : null,
    period: input.period ?? { start: env.now, end: env.now },
    pricing: pricingOf(pricing),
    proration: false,
    quantity: pricing.quantity,
    quantity_decimal: pricing.quantityDecimal,
    tax_rates: rates,
    test_clock: null,
  };
  env.account.insert(item);
  if (target.invoice) addLine(env.account, lineForItem(env.account, item, target.invoice, stripeId('il')));
  env.emit('invoiceitem.created', item);
  return item;
}

/** Applies updates to a draft's invoice item, re-pricing it when any amount input changes. */
export function repriceItem(env: Env, item: ItemObject, input: LineInput): void {
  const repriced =
    input.amount !== undefined ||
    input.pricing !== undefined ||
    input.price_data !== undefined ||
    input.unit_amount_decimal !== undefined ||
    input.quantity !== undefined ||
    input.quantity_decimal !== undefined;
  if (repriced) {
    const current = item.pricing?.price_details
      ? { pricing: { price: String(item.pricing.price_details.price) } }
      : {};
    const keepsSource =
      input.amount === undefined &&
      input.pricing === undefined &&
      input.price_data === undefined &&
      input.unit_amount_decimal === undefined;
    const source: LineInput = keepsSource
      ? {
          ...current,
          ...(current.pricing
            ? {}
            : { unit_amount_decimal: item.pricing?.unit_amount_decimal ?? String(item.amount) }),
        }
      : {};
    const quantity =
      input.quantity !== undefined || input.quantity_decimal !== undefined
        ? {}
        : { quantity_decimal: item.quantity_decimal };
    const pricing = price(env, { ...source, ...quantity, ...input }, item.currency, '');
    item.amount = pricing.amount;
    item.net_amount = pricing.amount;
    item.quantity = pricing.quantity;
    item.quantity_decimal = pricing.quantityDecimal;
    item.pricing = pricingOf(pricing);
  }
  if (input.description !== undefined) item.description = input.description;
  if (input.discountable !== undefined) item.discountable = input.discountable;
  if (input.metadata !== undefined) item.metadata = mergeMetadata(item.metadata ?? {}, input.metadata);
  if (input.period !== undefined) item.period = input.period;
  if (input.tax_rates !== undefined)
    item.tax_rates = input.tax_rates ? getTaxRates(env.account, input.tax_rates, 'tax_rates') : [];
}

function pricingOf(pricing: Pricing): ItemObject['pricing'] {
  return {
    type: 'price_details',
    ...(pricing.price
      ? { price_details: { price: pricing.price.id, product: String(pricing.price.product) } }
      : {}),
    unit_amount_decimal: pricing.unitAmountDecimal,
  };
}
