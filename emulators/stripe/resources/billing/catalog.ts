import type Stripe from 'stripe';
import { invalidRequest } from '../../kernel/errors.js';
import type { AccountState } from '../../kernel/state.js';
import { fromFixed12, toFixed12 } from './money.js';
import type { Stored } from './env.js';

/**
 * Reads of customers, prices and tax rates from the account's store. Those objects belong to the
 * core resources; billing only depends on their stored shape (the SDK's field names).
 */
export type PriceObject = Stored<Stripe.Price>;
export type TaxRateObject = Stored<Stripe.TaxRate>;
export type CustomerObject = Stored<Stripe.Customer>;

export function getCustomer(account: AccountState, id: string, param = 'customer'): CustomerObject {
  const customer = account.get<CustomerObject>('customer', id, param);
  if ((customer as unknown as { deleted?: boolean }).deleted)
    throw invalidRequest(`No such customer: '${id}'`, { param });
  return customer;
}

export function getPrice(account: AccountState, id: string, param: string): PriceObject {
  return account.get<PriceObject>('price', id, param);
}

/** The price's unit amount in `currency` (its own or a `currency_options` entry), as a decimal string. */
export function unitAmountDecimal(price: PriceObject, currency: string, param: string): string {
  const option =
    price.currency === currency
      ? { unit_amount: price.unit_amount, unit_amount_decimal: price.unit_amount_decimal }
      : price.currency_options?.[currency];
  if (!option) {
    throw invalidRequest(`The price specified (${price.id}) does not support the currency '${currency}'.`, {
      param,
    });
  }
  if (option.unit_amount_decimal !== null && option.unit_amount_decimal !== undefined) {
    return fromFixed12(toFixed12(String(option.unit_amount_decimal)));
  }
  if (typeof option.unit_amount === 'number') return String(option.unit_amount);
  throw invalidRequest(`The price specified (${price.id}) has no unit amount and cannot be billed.`, {
    param,
  });
}

export function getTaxRates(account: AccountState, ids: readonly string[], param: string): TaxRateObject[] {
  return ids.map((id, index) => {
    const rate = account.get<TaxRateObject>('tax_rate', id, `${param}[${index}]`);
    return rate;
  });
}
