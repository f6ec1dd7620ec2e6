import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Stripe-shaped ids: a type prefix and 24 alphanumerics, e.g. `cus_NffrFeUfNV2Hib…`. */
export function stripeId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET.charAt(byte % ALPHABET.length);
  return `${prefix}_${out}`;
}

/** Prefixes the emulator hands out, by object type; expand[] resolves ids through the same table. */
export const ID_PREFIXES: Readonly<Record<string, string>> = {
  account: 'acct',
  balance_transaction: 'txn',
  charge: 'ch',
  customer: 'cus',
  event: 'evt',
  invoice: 'in',
  invoiceitem: 'ii',
  line_item: 'il',
  payment_intent: 'pi',
  payment_method: 'pm',
  payout: 'po',
  price: 'price',
  product: 'prod',
  refund: 're',
  subscription: 'sub',
  subscription_item: 'si',
  tax_rate: 'txr',
  webhook_endpoint: 'we',
};

export function objectTypeOfId(id: string): string | undefined {
  const prefix = id.slice(0, id.indexOf('_'));
  return Object.entries(ID_PREFIXES).find(([, p]) => p === prefix)?.[0];
}
