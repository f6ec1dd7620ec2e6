import type { Queryable } from '../../../store/db.js';
import { findLinkByExternal } from '../../../store/repositories/external-links.js';
import { getInvoice, type Invoice } from '../../../store/repositories/invoices.js';
import { NotStoredYetError } from './errors.js';

/** The parts of a Stripe invoice that say whose it is. */
export interface StripeInvoiceRef {
  readonly id: string;
  readonly metadata?: Record<string, string> | null;
}

export type Resolved = { readonly invoice: Invoice } | { readonly foreign: string };

/**
 * Our invoice behind a Stripe invoice, locked for the rest of the transaction: by the link the sync
 * stored, else by the `ledgerbridge_invoice_id` metadata it put on the Stripe invoice (when the
 * metadata's tenant is this one). A Stripe invoice that names another business is not ours
 * (`foreign`). One we cannot place yet — no link, no metadata we recognize: the webhook beat our own
 * commit, or the invoice is yet to be imported — throws NotStoredYetError so the event is retried.
 */
export async function resolveInvoice(
  tx: Queryable,
  tenantId: string,
  stripeInvoice: StripeInvoiceRef,
): Promise<Resolved> {
  const link = await findLinkByExternal(tx, {
    tenantId,
    provider: 'stripe',
    localType: 'invoice',
    externalId: stripeInvoice.id,
  });
  if (link) {
    const invoice = await getInvoice(tx, tenantId, link.localId, { forUpdate: true });
    if (invoice) return { invoice };
  }
  const metadata = stripeInvoice.metadata ?? {};
  const ownerTenant = metadata.ledgerbridge_tenant_id;
  if (ownerTenant !== undefined && ownerTenant !== tenantId) {
    return { foreign: `Stripe invoice ${stripeInvoice.id} belongs to another ledgerbridge business` };
  }
  const localId = metadata.ledgerbridge_invoice_id;
  if (localId !== undefined && localId !== '') {
    const invoice = await getInvoice(tx, tenantId, localId, { forUpdate: true });
    if (invoice) return { invoice };
  }
  throw new NotStoredYetError(
    `Stripe invoice ${stripeInvoice.id} is not linked to a ledgerbridge invoice yet; retrying later`,
  );
}
