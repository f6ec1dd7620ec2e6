import type { Queryable } from '../../../store/db.js';
import { appendInvoiceEvent, type NewInvoiceEvent } from '../../../store/repositories/timeline.js';

/** Who the inbound side acts as, on every timeline entry and billing call. */
export function stripeActor(tenantId: string) {
  return { tenantId, actor: 'stripe:webhook', system: 'stripe' as const };
}

/**
 * Appends a timeline entry unless one of the same kind already carries `data[key] = value` (a charge
 * id, an event id): entries reported by two events about one fact, or by a retried event, appear
 * once. Callers hold the invoice's lock, so two events cannot both pass the check.
 */
export async function appendOnce(
  tx: Queryable,
  entry: Omit<NewInvoiceEvent, 'actor' | 'system'> & { readonly data: Readonly<Record<string, unknown>> },
  key: string,
): Promise<boolean> {
  const value = entry.data[key];
  if (typeof value !== 'string') throw new Error(`timeline entry ${entry.kind} has no ${key} to dedupe on`);
  const [seen] = await tx.query(
    `SELECT 1 FROM invoice_events WHERE tenant_id = $1 AND invoice_id = $2 AND kind = $3 AND data->>$4 = $5`,
    [entry.tenantId, entry.invoiceId, entry.kind, key, value],
  );
  if (seen) return false;
  await appendInvoiceEvent(tx, { ...entry, ...stripeActor(entry.tenantId) });
  return true;
}
