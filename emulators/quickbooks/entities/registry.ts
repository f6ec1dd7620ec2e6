import type { EntityHandler } from './context.js';
import { depositHandler } from './deposit.js';
import { accountHandler, customerHandler, itemHandler } from './names.js';
import { paymentHandler } from './payment.js';
import { creditMemoHandler, invoiceHandler, refundReceiptHandler, salesReceiptHandler } from './sales.js';
import { companyInfoHandler, preferencesHandler, taxCodeHandler, taxRateHandler } from './settings.js';

/** Every entity the emulator serves, by its API name (`Invoice`) — the URL uses it lower-cased. */
export const ENTITY_HANDLERS: ReadonlyMap<string, EntityHandler> = new Map(
  [
    customerHandler,
    itemHandler,
    accountHandler,
    invoiceHandler,
    salesReceiptHandler,
    creditMemoHandler,
    refundReceiptHandler,
    paymentHandler,
    depositHandler,
    taxCodeHandler,
    taxRateHandler,
    preferencesHandler,
    companyInfoHandler,
  ].map((handler) => [handler.entity, handler]),
);

const BY_PATH = new Map([...ENTITY_HANDLERS.keys()].map((entity) => [entity.toLowerCase(), entity]));

/** `salesreceipt` → `SalesReceipt`; undefined for an entity the emulator does not serve. */
export function entityForPath(segment: string): string | undefined {
  return BY_PATH.get(segment.toLowerCase());
}
