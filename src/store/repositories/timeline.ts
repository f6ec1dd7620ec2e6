import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { required } from './contacts.js';

/** Which system an event happened in: our own API now, the integrations once they sync. */
export type EventSystem = 'ledgerbridge' | 'stripe' | 'quickbooks';

export interface InvoiceEvent {
  readonly id: string;
  readonly tenantId: string;
  readonly invoiceId: string;
  readonly seq: number;
  readonly occurredAt: Date;
  readonly actor: string;
  readonly system: EventSystem;
  readonly kind: string;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>> | null;
}

export interface NewInvoiceEvent {
  readonly tenantId: string;
  readonly invoiceId: string;
  /** `user:usr_…`, `api_key:key_…`, or the integration acting (e.g. `stripe:webhook`). */
  readonly actor: string;
  readonly system: EventSystem;
  /** Stable machine name, e.g. `invoice.sent`, `payment.received`. */
  readonly kind: string;
  /** Human sentence shown on the timeline, e.g. "Invoice was sent". */
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>> | undefined;
  /**
   * When it happened, if not now: an integration reporting a provider event passes the provider's
   * timestamp so the timeline reads in real-world order, not in the order we heard about it.
   */
  readonly occurredAt?: Date | string | undefined;
}

export function invoiceEventFromRow(row: Row): InvoiceEvent {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    invoiceId: String(row.invoice_id),
    seq: Number(row.seq),
    occurredAt: row.occurred_at as Date,
    actor: String(row.actor),
    system: row.system as EventSystem,
    kind: String(row.kind),
    message: String(row.message),
    data: (row.data as Record<string, unknown> | null) ?? null,
  };
}

/**
 * Appends one event to an invoice's timeline. Call it with the transaction that makes the change it
 * describes, so the timeline can never claim something that was rolled back (or miss something that
 * was committed). Without `occurredAt` the database's clock_timestamp() is used, which advances within
 * a transaction, and `seq` breaks any remaining ties in insertion order.
 */
export async function appendInvoiceEvent(tx: Queryable, event: NewInvoiceEvent): Promise<InvoiceEvent> {
  const [row] = await tx.query(
    `INSERT INTO invoice_events (tenant_id, id, invoice_id, occurred_at, actor, system, kind, message, data)
     VALUES ($1, $2, $3, COALESCE($4::timestamptz, clock_timestamp()), $5, $6, $7, $8, $9)
     RETURNING *`,
    [
      event.tenantId,
      newId('evt'),
      event.invoiceId,
      event.occurredAt === undefined ? null : new Date(event.occurredAt).toISOString(),
      event.actor,
      event.system,
      event.kind,
      event.message,
      event.data === undefined ? null : JSON.stringify(event.data),
    ],
  );
  return invoiceEventFromRow(required(row));
}

export async function listInvoiceEvents(
  db: Queryable,
  tenantId: string,
  invoiceId: string,
): Promise<InvoiceEvent[]> {
  const rows = await db.query(
    `SELECT * FROM invoice_events WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY occurred_at, seq`,
    [tenantId, invoiceId],
  );
  return rows.map(invoiceEventFromRow);
}
