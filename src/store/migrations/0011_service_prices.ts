import type { Migration } from '../migrate.js';

/**
 * Multi-currency catalog prices: besides its main `unit_price` in `currency`, a service may list prices
 * in other currencies, `[{"currency": "EUR", "unit_price": 9000}, …]` in minor units of each currency,
 * sorted by currency, at most one per currency and never the main one (checked by the API, which owns
 * the format). A jsonb column rather than a child table: the prices are part of the service's value,
 * read and written with it in the same row (every `SELECT *`/`RETURNING *` carries them, so no read
 * path can see a service without its other prices), and never queried on their own. Stripe keeps them
 * the same way, as `currency_options` on one price.
 */
export const servicePrices: Migration = {
  id: '0011',
  name: 'service_prices',
  sql: `
ALTER TABLE services
  ADD COLUMN prices jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(prices) = 'array');
`,
};
