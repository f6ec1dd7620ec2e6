import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { listPage, type Page } from '../list.js';

export interface Address {
  readonly line1: string;
  readonly line2?: string | undefined;
  readonly city: string;
  readonly region?: string | undefined;
  readonly postal_code: string;
  readonly country: string;
}

export interface Contact {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: 'individual' | 'organization';
  readonly name: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly billingAddress: Address | null;
  readonly preferredCurrency: string | null;
  readonly archived: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type ContactInput = Pick<
  Contact,
  'kind' | 'name' | 'email' | 'phone' | 'billingAddress' | 'preferredCurrency'
>;

export function contactFromRow(row: Row): Contact {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    kind: row.kind as Contact['kind'],
    name: String(row.name),
    email: (row.email as string | null) ?? null,
    phone: (row.phone as string | null) ?? null,
    billingAddress: (row.billing_address as Address | null) ?? null,
    preferredCurrency: (row.preferred_currency as string | null) ?? null,
    archived: Boolean(row.archived),
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

export async function insertContact(db: Queryable, tenantId: string, input: ContactInput): Promise<Contact> {
  const [row] = await db.query(
    `INSERT INTO contacts (tenant_id, id, kind, name, email, phone, billing_address, preferred_currency)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      tenantId,
      newId('con'),
      input.kind,
      input.name,
      input.email,
      input.phone,
      input.billingAddress === null ? null : JSON.stringify(input.billingAddress),
      input.preferredCurrency,
    ],
  );
  return contactFromRow(required(row));
}

export async function getContact(db: Queryable, tenantId: string, id: string): Promise<Contact | undefined> {
  const [row] = await db.query('SELECT * FROM contacts WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  return row ? contactFromRow(row) : undefined;
}

export async function updateContact(
  db: Queryable,
  tenantId: string,
  id: string,
  patch: Partial<ContactInput & { archived: boolean }>,
): Promise<Contact | undefined> {
  const [locked] = await db.query('SELECT * FROM contacts WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [
    tenantId,
    id,
  ]);
  if (!locked) return undefined;
  const current = contactFromRow(locked);
  const next = { ...current, ...patch };
  const [row] = await db.query(
    `UPDATE contacts SET kind = $3, name = $4, email = $5, phone = $6, billing_address = $7,
       preferred_currency = $8, archived = $9, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 RETURNING *`,
    [
      tenantId,
      id,
      next.kind,
      next.name,
      next.email,
      next.phone,
      next.billingAddress === null ? null : JSON.stringify(next.billingAddress),
      next.preferredCurrency,
      next.archived,
    ],
  );
  return row ? contactFromRow(row) : undefined;
}

export function listContacts(
  db: Queryable,
  tenantId: string,
  filter: {
    archived?: boolean | undefined;
    email?: string | undefined;
    createdFrom?: string | undefined;
    createdTo?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<Page<Contact>> {
  return listPage(
    db,
    {
      table: 'contacts',
      tenantId,
      equals: { archived: filter.archived, 'lower(email)': filter.email?.toLowerCase() },
      createdFrom: filter.createdFrom,
      createdTo: filter.createdTo,
      cursor: filter.cursor,
      limit: filter.limit,
    },
    contactFromRow,
  );
}

export function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected the statement to return a row');
  return value;
}
