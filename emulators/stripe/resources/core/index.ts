import type { ResourceModule } from '../../server.js';
import { oauthResource } from '../../oauth/index.js';
import { accountResource } from './account.js';
import { customersResource } from './customers.js';
import { eventsResource } from './events.js';
import { pricesResource } from './prices.js';
import { productsResource } from './products.js';
import { taxRatesResource } from './tax-rates.js';
import { webhookEndpointsResource } from './webhook-endpoints.js';

/** Accounts, customers, products, prices, tax rates, events, webhook endpoints, OAuth. */
export const coreResources: readonly ResourceModule[] = [
  accountResource,
  customersResource,
  productsResource,
  pricesResource,
  taxRatesResource,
  eventsResource,
  webhookEndpointsResource,
  oauthResource,
];
