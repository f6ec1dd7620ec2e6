import type { ResourceModule } from '../../server.js';

/** Invoice items, invoices, payment intents, charges, balance, refunds, payouts, subscriptions. */
export const billingResources: readonly ResourceModule[] = [];
