import type { Queryable } from '../db.js';

/**
 * The exactly-once map between our objects and a provider's (contact ↔ Stripe customer, service ↔
 * product, invoice ↔ invoice, payment ↔ payment intent). A sync looks here before creating anything
 * at the provider, and records the link in the same transaction as the change that made it.
 */
export type LinkProvider = 'stripe' | 'quickbooks';
export type LinkLocalType =
  | 'contact'
  | 'service'
  | 'invoice'
  | 'payment'
  | 'refund'
  | 'subscription'
  /** A Stripe payout ↔ its QuickBooks Deposit (migration 0009). */
  | 'payout';

export interface ExternalLink {
  readonly tenantId: string;
  readonly provider: LinkProvider;
  readonly localType: LinkLocalType;
  readonly localId: string;
  readonly externalId: string;
  /** The Stripe account or QuickBooks realm the external object lives in. */
  readonly externalAccount: string;
  /** Provider details worth keeping (current price id, sync token…): JSON only, never secrets. */
  readonly data: Record<string, unknown>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A link would be re-pointed, or an external object would back two of our objects. */
export class LinkConflictError extends Error {
  override readonly name: string = 'LinkConflictError';
}

interface LinkRow {
  [column: string]: unknown;
  tenant_id: string;
  provider: LinkProvider;
  local_type: LinkLocalType;
  local_id: string;
  external_id: string;
  external_account: string;
  data: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'tenant_id, provider, local_type, local_id, external_id, external_account, data, created_at, updated_at';

function fromRow(row: LinkRow): ExternalLink {
  return {
    tenantId: row.tenant_id,
    provider: row.provider,
    localType: row.local_type,
    localId: row.local_id,
    externalId: row.external_id,
    externalAccount: row.external_account,
    data: row.data,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface LocalRef {
  readonly tenantId: string;
  readonly provider: LinkProvider;
  readonly localType: LinkLocalType;
}

export async function findLinkByLocal(
  db: Queryable,
  ref: LocalRef & { readonly localId: string },
): Promise<ExternalLink | undefined> {
  const [row] = await db.query<LinkRow>(
    `SELECT ${COLUMNS} FROM external_links
     WHERE tenant_id = $1 AND provider = $2 AND local_type = $3 AND local_id = $4`,
    [ref.tenantId, ref.provider, ref.localType, ref.localId],
  );
  return row ? fromRow(row) : undefined;
}

export async function findLinkByExternal(
  db: Queryable,
  ref: LocalRef & { readonly externalId: string },
): Promise<ExternalLink | undefined> {
  const [row] = await db.query<LinkRow>(
    `SELECT ${COLUMNS} FROM external_links
     WHERE tenant_id = $1 AND provider = $2 AND local_type = $3 AND external_id = $4`,
    [ref.tenantId, ref.provider, ref.localType, ref.externalId],
  );
  return row ? fromRow(row) : undefined;
}

export interface LinkInput extends LocalRef {
  readonly localId: string;
  readonly externalId: string;
  readonly externalAccount: string;
  readonly data?: Record<string, unknown>;
}

/**
 * Records that `localId` is `externalId`. Recording the same pair again updates `data` only.
 * Refuses (LinkConflictError) to re-point an existing link to another external object, or to link an
 * external object that already backs another of our objects: either would mean a duplicate at the
 * provider, which a sync must surface, never paper over.
 */
export async function upsertLink(db: Queryable, input: LinkInput): Promise<ExternalLink> {
  const holder = await findLinkByExternal(db, input);
  if (holder && holder.localId !== input.localId) {
    throw new LinkConflictError(
      `${input.provider} ${input.externalId} is already linked to ${input.localType} ${holder.localId}`,
    );
  }
  // The WHERE makes the update a no-op (no row returned) when the existing link points elsewhere.
  const [row] = await db.query<LinkRow>(
    `INSERT INTO external_links (tenant_id, provider, local_type, local_id, external_id, external_account, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
     ON CONFLICT (tenant_id, provider, local_type, local_id) DO UPDATE
       SET data = EXCLUDED.data, updated_at = now()
       WHERE external_links.external_id = EXCLUDED.external_id
         AND external_links.external_account = EXCLUDED.external_account
     RETURNING ${COLUMNS}`,
    [
      input.tenantId,
      input.provider,
      input.localType,
      input.localId,
      input.externalId,
      input.externalAccount,
      JSON.stringify(input.data ?? {}),
    ],
  );
  if (row) return fromRow(row);
  const existing = await findLinkByLocal(db, input);
  throw new LinkConflictError(
    `${input.localType} ${input.localId} is already linked to ${input.provider} ` +
      `${existing?.externalId ?? '(unknown)'} in ${existing?.externalAccount ?? '(unknown)'}, not ${input.externalId}`,
  );
}

/**
 * Drops the link of a local object to another account of the same provider, and only that: after a
 * business connects a different Stripe account, its contacts and services get new objects there,
 * while what was made in the old account (invoices, subscriptions) stays linked to it. Answers the
 * dropped link, if there was one.
 */
export async function dropLinkToOtherAccount(
  db: Queryable,
  ref: LocalRef & { readonly localId: string; readonly account: string },
): Promise<ExternalLink | undefined> {
  const [row] = await db.query<LinkRow>(
    `DELETE FROM external_links
     WHERE tenant_id = $1 AND provider = $2 AND local_type = $3 AND local_id = $4 AND external_account <> $5
     RETURNING ${COLUMNS}`,
    [ref.tenantId, ref.provider, ref.localType, ref.localId, ref.account],
  );
  return row ? fromRow(row) : undefined;
}
