import type { Queryable, Row } from '../db.js';
import { type IdPrefix, newId } from '../ids.js';
import { listPage, type Page } from '../list.js';
import { lockClause, type RowLock } from './columns.js';
import { required } from './contacts.js';

/**
 * Opportunities, tickets and orders: the CRM records that billables hang off. The three tables have
 * the same shape and differ only in name, id prefix and statuses, so one repository serves them all.
 */
export const PARENT_TYPES = ['opportunity', 'ticket', 'order'] as const;
export type ParentType = (typeof PARENT_TYPES)[number];

export interface ParentKind {
  readonly type: ParentType;
  readonly table: 'opportunities' | 'tickets' | 'orders';
  readonly prefix: IdPrefix;
  readonly statuses: readonly [string, ...string[]];
}

export const parentKinds: Readonly<Record<ParentType, ParentKind>> = {
  opportunity: {
    type: 'opportunity',
    table: 'opportunities',
    prefix: 'opp',
    statuses: ['open', 'won', 'lost'],
  },
  ticket: {
    type: 'ticket',
    table: 'tickets',
    prefix: 'tkt',
    statuses: ['open', 'in_progress', 'resolved', 'closed'],
  },
  order: { type: 'order', table: 'orders', prefix: 'ord', statuses: ['open', 'fulfilled', 'cancelled'] },
};

export interface Parent {
  readonly id: string;
  readonly tenantId: string;
  readonly type: ParentType;
  readonly contactId: string;
  readonly title: string;
  readonly status: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type ParentInput = Pick<Parent, 'contactId' | 'title' | 'status'>;

export function parentFromRow(type: ParentType, row: Row): Parent {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    type,
    contactId: String(row.contact_id),
    title: String(row.title),
    status: String(row.status),
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

export async function insertParent(
  db: Queryable,
  kind: ParentKind,
  tenantId: string,
  input: ParentInput,
): Promise<Parent> {
  const [row] = await db.query(
    `INSERT INTO ${kind.table} (tenant_id, id, contact_id, title, status)
     VALUES ($1, $2, $3, $4, $5) RETURNING *`,
    [tenantId, newId(kind.prefix), input.contactId, input.title, input.status],
  );
  return parentFromRow(kind.type, required(row));
}

export async function getParent(
  db: Queryable,
  kind: ParentKind,
  tenantId: string,
  id: string,
  lock?: RowLock,
): Promise<Parent | undefined> {
  const [row] = await db.query(
    `SELECT * FROM ${kind.table} WHERE tenant_id = $1 AND id = $2${lockClause(lock)}`,
    [tenantId, id],
  );
  return row ? parentFromRow(kind.type, row) : undefined;
}

/** Writes every mutable field of `parent` (read FOR UPDATE and merged by the caller). */
export async function updateParent(db: Queryable, parent: Parent): Promise<Parent> {
  const kind = parentKinds[parent.type];
  const [row] = await db.query(
    `UPDATE ${kind.table} SET contact_id = $3, title = $4, status = $5, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 RETURNING *`,
    [parent.tenantId, parent.id, parent.contactId, parent.title, parent.status],
  );
  return parentFromRow(kind.type, required(row));
}

export function listParents(
  db: Queryable,
  kind: ParentKind,
  tenantId: string,
  filter: {
    status?: string | undefined;
    contactId?: string | undefined;
    createdFrom?: string | undefined;
    createdTo?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<Page<Parent>> {
  return listPage(
    db,
    {
      table: kind.table,
      tenantId,
      equals: { status: filter.status, contact_id: filter.contactId },
      createdFrom: filter.createdFrom,
      createdTo: filter.createdTo,
      cursor: filter.cursor,
      limit: filter.limit,
    },
    (row) => parentFromRow(kind.type, row),
  );
}
