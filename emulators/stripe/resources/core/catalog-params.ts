import type Stripe from 'stripe';
import { z } from 'zod';
import { bool, decimal, emptyable, int, metadata, str } from '../../kernel/params.js';

/**
 * Parameter schemas products and prices share: a product can carry `default_price_data` and a
 * price can carry `product_data`, so both modules build on these (kept apart to avoid an import
 * cycle at load time).
 */
export const currency = () =>
  z
    .string()
    .regex(/^[a-zA-Z]{3}$/)
    .transform((value) => value.toLowerCase());
export const taxBehavior = () => z.enum(['exclusive', 'inclusive', 'unspecified']);
export const amountOption = z
  .object({
    tax_behavior: taxBehavior().optional(),
    unit_amount: int(0, 99_999_999).optional(),
    unit_amount_decimal: decimal().optional(),
  })
  .strict();
export const currencyOptions = () => z.record(z.string().regex(/^[a-z]{3}$/), amountOption);
export const recurring = z
  .object({
    interval: z.enum(['day', 'week', 'month', 'year']),
    interval_count: int(1, 1095).optional(),
    meter: str().optional(),
    trial_period_days: int(1, 730).optional(),
    usage_type: z.enum(['licensed', 'metered']).optional(),
  })
  .strict();

/** `default_price_data` on a product (ProductCreateParams.DefaultPriceData). */
export const defaultPriceDataParam = () =>
  z
    .object({
      currency: currency(),
      currency_options: currencyOptions().optional(),
      metadata: metadata(),
      recurring: recurring.pick({ interval: true, interval_count: true }).strict().optional(),
      tax_behavior: taxBehavior().optional(),
      unit_amount: int(0, 99_999_999).optional(),
      unit_amount_decimal: decimal().optional(),
    })
    .strict();

export const dimensions = z
  .object({
    height: z.coerce.number(),
    length: z.coerce.number(),
    weight: z.coerce.number(),
    width: z.coerce.number(),
  })
  .strict();
export const taxDetails = z
  .object({ performance_location: str().optional(), tax_code: emptyable(str()).optional() })
  .strict();
export const features = z.array(z.object({ name: str(80) }).strict()).max(15);

/** What `product_data` on a price may say about the product it creates (PriceCreateParams.ProductData). */
export const productDataParam = () =>
  z
    .object({
      name: str(),
      active: bool().optional(),
      id: str(255).optional(),
      metadata: metadata(),
      statement_descriptor: str(22).optional(),
      tax_code: str().optional(),
      tax_details: taxDetails.optional(),
      unit_label: str(12).optional(),
    })
    .strict();

/** `unit_amount_decimal` always mirrors the amount; `unit_amount` is null for sub-cent decimals. */
export function amounts(input: {
  unit_amount?: number | undefined;
  unit_amount_decimal?: string | undefined;
}): {
  unit_amount: number | null;
  unit_amount_decimal: Stripe.Decimal | null;
} {
  // The SDK turns the decimal string on the wire into its Decimal class; the wire carries a string.
  const wire = (text: string) => text as unknown as Stripe.Decimal;
  if (input.unit_amount !== undefined) {
    return { unit_amount: input.unit_amount, unit_amount_decimal: wire(String(input.unit_amount)) };
  }
  const text = (input.unit_amount_decimal ?? '0').replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  return { unit_amount: /^-?\d+$/.test(text) ? Number(text) : null, unit_amount_decimal: wire(text) };
}
