import type { ResourceModule } from '../../server.js';
import { hostedInvoicePages } from '../../hosted/routes.js';
import { balanceResource } from './balance.js';
import { invoiceActionsResource } from './invoice-actions.js';
import { invoiceLinesResource } from './invoice-lines.js';
import { invoicePaymentResource } from './invoice-payments.js';
import { invoiceResource } from './invoices.js';
import { invoiceItemResource } from './item-routes.js';
import { paymentResource } from './payment-routes.js';
import { payoutResource } from './payouts.js';
import { refundResource } from './refunds.js';
import { subscriptionResource } from './subscriptions.js';

/** Invoice items, invoices, payment intents, charges, balance, refunds, payouts, subscriptions. */
export const billingResources: readonly ResourceModule[] = [
  invoiceItemResource,
  invoiceResource,
  invoiceLinesResource,
  invoiceActionsResource,
  invoicePaymentResource,
  paymentResource,
  balanceResource,
  refundResource,
  payoutResource,
  subscriptionResource,
  hostedInvoicePages,
];
