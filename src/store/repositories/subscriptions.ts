import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { listPage, type Page } from '../list.js';
import { lockClause, type RowLock } from './columns.js';
import { required } from './contacts.js';

export const SUBSCRIPTION_STATUSES = ['active', 'canceled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** A contact billed for a recurring service every period, `quantity` units at a time. */
export interface Subscription {
  readonly id: string;
  readonly tenantId: string;
  readonly contactId: string;
  readonly serviceId: string;
  readonly quantity: number;
  readonly status: SubscriptionStatus;
  readonly createdAt: Date;
  readonly canceledAt: Date | null;
}

function subscriptionFromRow(row: Row): Subscription {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    contactId: String(row.contact_id),
    serviceId: String(row.service_id),
    quantity: Number(row.quantity),
    status: row.status as SubscriptionStatus,
    createdAt: new Date(String(row.created_at)),
    canceledAt: row.canceled_at === null ? null : new Date(String(row.canceled_at)),
  };
}

export async function insertSubscription(
  db: Queryable,
  tenantId: string,
  input: { contactId: string; serviceId: string; quantity: number },
): Promise<Subscription> {
  const [row] = await db.query(
    `INSERT INTO subscriptions (tenant_id, id, contact_id, service_id, quantity)
     VALUES ($1, $2, $3, $4, $5) RETURNING *`,
    [tenantId, newId('sub'), input.contactId, input.serviceId, input.quantity],
  );
  return subscriptionFromRow(required(row));
}

export async function getSubscription(
  db: Queryable,
  tenantId: string,
  id: string,
  lock?: RowLock,
): Promise<Subscription | undefined> {
  const [row] = await db.query(
    `SELECT * FROM subscriptions WHERE tenant_id = $1 AND id = $2${lockClause(lock)}`,
    [tenantId, id],
  );
  return row ? subscriptionFromRow(row) : undefined;
}

/** Marks an active subscription canceled; undefined when it is not active (or not there). */
export async function cancelSubscription(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<Subscription | undefined> {
  const [row] = await db.query(
    `UPDATE subscriptions SET status = 'canceled', canceled_at = now()
     WHERE tenant_id = $1 AND id = $2 AND status = 'active' RETURNING *`,
    [tenantId, id],
  );
  return row ? subscriptionFromRow(row) : undefined;
}

export function listSubscriptions(
  db: Queryable,
  tenantId: string,
  filter: {
    contactId?: string | undefined;
    status?: SubscriptionStatus | undefined;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<Page<Subscription>> {
  return listPage(
    db,
    {
      table: 'subscriptions',
      tenantId,
      equals: { contact_id: filter.contactId, status: filter.status },
      cursor: filter.cursor,
      limit: filter.limit,
    },
    subscriptionFromRow,
  );
}
