import type { ResourceModule } from '../../server.js';
import { accountResource } from './account.js';

/** Accounts, customers, products, prices, tax rates, events, webhook endpoints, OAuth. */
export const coreResources: readonly ResourceModule[] = [accountResource];
