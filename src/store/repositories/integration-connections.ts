import type { Queryable } from '../db.js';
import { newId } from '../ids.js';

/**
 * Connections of a tenant to Stripe or QuickBooks. `credentials` and `webhookSecret` are SecretBox
 * envelopes: this module stores and returns them as opaque text and never decrypts (callers do, with
 * `credentialContext`), so a row logged or returned by mistake carries no usable secret.
 */
export type Provider = 'stripe' | 'quickbooks';
export type ConnectionStatus = 'connected' | 'needs_reauth' | 'disconnected';
export type ConnectionMethod = 'oauth' | 'api_key';

export interface Connection {
  readonly tenantId: string;
  readonly id: string;
  readonly provider: Provider;
  readonly status: ConnectionStatus;
  readonly method: ConnectionMethod;
  readonly externalAccountId: string;
  readonly credentials: string | null;
  readonly webhookSecret: string | null;
  readonly webhookEndpointId: string | null;
  readonly settings: Record<string, unknown>;
  readonly connectedBy: string;
  readonly connectedAt: Date;
  readonly disconnectedBy: string | null;
  readonly disconnectedAt: Date | null;
  readonly lastVerifiedAt: Date | null;
  readonly lastError: string | null;
}

/** What a SecretBox envelope of a connection is bound to: it decrypts in this row and column only. */
export function credentialContext(
  connection: Pick<Connection, 'provider' | 'tenantId' | 'id'>,
  column: 'credentials' | 'webhook_secret',
): string {
  return `${connection.provider}:${connection.tenantId}:${connection.id}:${column}`;
}

const COLUMNS =
  'tenant_id, id, provider, status, method, external_account_id, credentials, webhook_secret, ' +
  'webhook_endpoint_id, settings, connected_by, connected_at, disconnected_by, disconnected_at, ' +
  'last_verified_at, last_error';

type Row = Record<string, unknown>;

function fromRow(row: Row): Connection {
  return {
    tenantId: row.tenant_id as string,
    id: row.id as string,
    provider: row.provider as Provider,
    status: row.status as ConnectionStatus,
    method: row.method as ConnectionMethod,
    externalAccountId: row.external_account_id as string,
    credentials: row.credentials as string | null,
    webhookSecret: row.webhook_secret as string | null,
    webhookEndpointId: row.webhook_endpoint_id as string | null,
    settings: row.settings as Record<string, unknown>,
    connectedBy: row.connected_by as string,
    connectedAt: row.connected_at as Date,
    disconnectedBy: row.disconnected_by as string | null,
    disconnectedAt: row.disconnected_at as Date | null,
    lastVerifiedAt: row.last_verified_at as Date | null,
    lastError: row.last_error as string | null,
  };
}

/** The tenant's connection in use (connected or needing re-authorization), if any. */
export async function getLiveConnection(
  db: Queryable,
  tenantId: string,
  provider: Provider,
  options: { forUpdate?: boolean } = {},
): Promise<Connection | undefined> {
  const [row] = await db.query(
    `SELECT ${COLUMNS} FROM integration_connections
     WHERE tenant_id = $1 AND provider = $2 AND status <> 'disconnected'${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [tenantId, provider],
  );
  return row ? fromRow(row) : undefined;
}

/** The live connection, else the most recent one (for status pages: "disconnected on …"). */
export async function getCurrentConnection(
  db: Queryable,
  tenantId: string,
  provider: Provider,
): Promise<Connection | undefined> {
  const [row] = await db.query(
    `SELECT ${COLUMNS} FROM integration_connections WHERE tenant_id = $1 AND provider = $2
     ORDER BY (status <> 'disconnected') DESC, connected_at DESC, id DESC LIMIT 1`,
    [tenantId, provider],
  );
  return row ? fromRow(row) : undefined;
}

/** Which tenant holds a provider account: the webhook router's question. */
export async function findLiveConnectionByAccount(
  db: Queryable,
  provider: Provider,
  externalAccountId: string,
): Promise<Connection | undefined> {
  const [row] = await db.query(
    `SELECT ${COLUMNS} FROM integration_connections
     WHERE provider = $1 AND external_account_id = $2 AND status <> 'disconnected'`,
    [provider, externalAccountId],
  );
  return row ? fromRow(row) : undefined;
}

/**
 * Live connections whose webhook secret could have signed a delivery: those of the named account, or,
 * when the event names none, all of them (few: only account-level endpoints registered by us).
 */
export async function listWebhookSecretHolders(
  db: Queryable,
  provider: Provider,
  account: string | undefined,
): Promise<Connection[]> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM integration_connections
     WHERE provider = $1 AND status <> 'disconnected' AND webhook_secret IS NOT NULL
       AND ($2::text IS NULL OR external_account_id = $2)`,
    [provider, account ?? null],
  );
  return rows.map(fromRow);
}

export interface NewConnection {
  readonly tenantId: string;
  readonly provider: Provider;
  readonly method: ConnectionMethod;
  readonly externalAccountId: string;
  readonly connectedBy: string;
  readonly settings?: Record<string, unknown>;
  /** Encrypts the credentials for the new row (the envelope is bound to the row's id). */
  readonly sealCredentials: (connection: Pick<Connection, 'provider' | 'tenantId' | 'id'>) => string;
}

export async function insertConnection(db: Queryable, input: NewConnection): Promise<Connection> {
  const id = newId('itg');
  const credentials = input.sealCredentials({ provider: input.provider, tenantId: input.tenantId, id });
  const [row] = await db.query(
    `INSERT INTO integration_connections
       (tenant_id, id, provider, status, method, external_account_id, credentials, settings, connected_by,
        last_verified_at)
     VALUES ($1, $2, $3, 'connected', $4, $5, $6, $7::jsonb, $8, now())
     RETURNING ${COLUMNS}`,
    [
      input.tenantId,
      id,
      input.provider,
      input.method,
      input.externalAccountId,
      credentials,
      JSON.stringify(input.settings ?? {}),
      input.connectedBy,
    ],
  );
  if (!row) throw new Error('insert into integration_connections returned no row');
  return fromRow(row);
}

async function update(
  db: Queryable,
  connection: Connection,
  set: string,
  params: unknown[],
): Promise<Connection> {
  const [row] = await db.query(
    `UPDATE integration_connections SET ${set}, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 AND status <> 'disconnected' RETURNING ${COLUMNS}`,
    [connection.tenantId, connection.id, ...params],
  );
  // Disconnected in the meantime (a deauthorization webhook, a concurrent DELETE): keep what is stored.
  return row ? fromRow(row) : connection;
}

export function setWebhookEndpoint(
  db: Queryable,
  connection: Connection,
  endpointId: string,
  sealedSecret: string,
): Promise<Connection> {
  return update(db, connection, 'webhook_endpoint_id = $3, webhook_secret = $4', [endpointId, sealedSecret]);
}

/** Merges `patch` into the connection's settings (keys absent from it keep their value). */
export function updateConnectionSettings(
  db: Queryable,
  connection: Connection,
  patch: Record<string, unknown>,
): Promise<Connection> {
  return update(db, connection, 'settings = settings || $3::jsonb', [JSON.stringify(patch)]);
}

export function recordConnectionError(
  db: Queryable,
  connection: Connection,
  error: string,
): Promise<Connection> {
  return update(db, connection, 'last_error = $3', [error]);
}

/** A verification call succeeded: connected again, error cleared. */
export function recordVerified(db: Queryable, connection: Connection): Promise<Connection> {
  return update(db, connection, "status = 'connected', last_verified_at = now(), last_error = NULL", []);
}

/** The provider refused the stored credentials: someone must connect again. */
export function recordNeedsReauth(db: Queryable, connection: Connection, error: string): Promise<Connection> {
  return update(db, connection, "status = 'needs_reauth', last_error = $3", [error]);
}

/** Ends a connection: credentials and webhook secret wiped, the row kept as history. */
export async function markDisconnected(
  db: Queryable,
  connection: Pick<Connection, 'tenantId' | 'id'>,
  by: string,
): Promise<Connection | undefined> {
  const [row] = await db.query(
    `UPDATE integration_connections
     SET status = 'disconnected', disconnected_at = now(), disconnected_by = $3,
         credentials = NULL, webhook_secret = NULL, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 AND status <> 'disconnected' RETURNING ${COLUMNS}`,
    [connection.tenantId, connection.id, by],
  );
  return row ? fromRow(row) : undefined;
}

/** New credentials for a live connection (a refreshed OAuth token pair), sealed by the caller. */
export function replaceCredentials(
  db: Queryable,
  connection: Connection,
  sealed: string,
): Promise<Connection> {
  return update(db, connection, 'credentials = $3', [sealed]);
}

/**
 * A person authorized the same account again: fresh credentials, back to connected, error cleared.
 * The row (and everything linked to its id) is kept.
 */
export function recordReauthorized(
  db: Queryable,
  connection: Connection,
  sealed: string,
): Promise<Connection> {
  return update(
    db,
    connection,
    "credentials = $3, status = 'connected', last_verified_at = now(), last_error = NULL",
    [sealed],
  );
}
