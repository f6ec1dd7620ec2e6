import type { Queryable } from '../store/db.js';
import { newId } from '../store/ids.js';
import type { Role } from './roles.js';
import { hashPassword, randomToken, sha256 } from './secrets.js';

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface User {
  readonly id: string;
  readonly tenantId: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
}

export interface ApiKey {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** The principal a request acts as, resolved from an API key or a session cookie. */
export interface Principal {
  readonly tenantId: string;
  readonly role: Role;
  /** Who, for timelines and audit: `user:usr_…` or `api_key:key_…`. */
  readonly actor: string;
}

export async function createTenant(db: Queryable, name: string): Promise<Tenant> {
  const id = newId('ten');
  const [row] = await db.query('INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING *', [id, name]);
  return tenantFromRow(row);
}

export async function getTenant(db: Queryable, id: string): Promise<Tenant | undefined> {
  const [row] = await db.query('SELECT * FROM tenants WHERE id = $1', [id]);
  return row ? tenantFromRow(row) : undefined;
}

export async function createUser(
  db: Queryable,
  input: { tenantId: string; email: string; name: string; role: Role; password: string },
): Promise<User> {
  const passwordHash = await hashPassword(input.password);
  const [row] = await db.query(
    `INSERT INTO users (tenant_id, id, email, name, role, password_hash)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [input.tenantId, newId('usr'), input.email.trim(), input.name, input.role, passwordHash],
  );
  return userFromRow(row);
}

export async function findUserForLogin(
  db: Queryable,
  email: string,
): Promise<{ user: User; passwordHash: string } | undefined> {
  const [row] = await db.query('SELECT * FROM users WHERE lower(email) = lower($1)', [email.trim()]);
  return row ? { user: userFromRow(row), passwordHash: String(row.password_hash) } : undefined;
}

export async function listUsers(db: Queryable, tenantId: string): Promise<User[]> {
  const rows = await db.query('SELECT * FROM users WHERE tenant_id = $1 ORDER BY id', [tenantId]);
  return rows.map(userFromRow);
}

/** Creates a key and returns its secret: the only time the secret exists outside the caller's hands. */
export async function createApiKey(
  db: Queryable,
  input: { tenantId: string; name: string; role: Role },
): Promise<{ apiKey: ApiKey; secret: string }> {
  const secret = `lb_${randomToken(32)}`;
  const [row] = await db.query(
    `INSERT INTO api_keys (tenant_id, id, name, role, secret_hash) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
    [input.tenantId, newId('key'), input.name, input.role, sha256(secret)],
  );
  return { apiKey: apiKeyFromRow(row), secret };
}

export async function listApiKeys(db: Queryable, tenantId: string): Promise<ApiKey[]> {
  const rows = await db.query('SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY id', [tenantId]);
  return rows.map(apiKeyFromRow);
}

export async function revokeApiKey(db: Queryable, tenantId: string, id: string): Promise<ApiKey | undefined> {
  const [row] = await db.query(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING *`,
    [tenantId, id],
  );
  return row ? apiKeyFromRow(row) : undefined;
}

/** last_used_at is kept to the minute: writing it on every request would make every read a write. */
const LAST_USED_RESOLUTION_SECONDS = 60;

export async function principalForApiKey(db: Queryable, secret: string): Promise<Principal | undefined> {
  const [row] = await db.query(
    `SELECT id, tenant_id, role,
       (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2)) AS stale
     FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL`,
    [sha256(secret), LAST_USED_RESOLUTION_SECONDS],
  );
  if (!row) return undefined;
  if (row.stale === true) await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [row.id]);
  return { tenantId: String(row.tenant_id), role: row.role as Role, actor: `api_key:${String(row.id)}` };
}

export async function createSession(db: Queryable, user: User, ttlHours: number): Promise<string> {
  const token = randomToken(32);
  await db.query(
    `INSERT INTO sessions (id_hash, tenant_id, user_id, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(hours => $4))`,
    [sha256(token), user.tenantId, user.id, ttlHours],
  );
  return token;
}

export async function principalForSession(
  db: Queryable,
  token: string,
): Promise<(Principal & { userId: string }) | undefined> {
  const [row] = await db.query(
    `SELECT s.tenant_id, s.user_id, u.role FROM sessions s
     JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
     WHERE s.id_hash = $1 AND s.expires_at > now()`,
    [sha256(token)],
  );
  if (!row) return undefined;
  const userId = String(row.user_id);
  return { tenantId: String(row.tenant_id), role: row.role as Role, actor: `user:${userId}`, userId };
}

export async function deleteSession(db: Queryable, token: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE id_hash = $1', [sha256(token)]);
}

function tenantFromRow(row: Record<string, unknown> | undefined): Tenant {
  if (!row) throw new Error('expected a tenant row');
  return { id: String(row.id), name: String(row.name), createdAt: row.created_at as Date };
}

function userFromRow(row: Record<string, unknown> | undefined): User {
  if (!row) throw new Error('expected a user row');
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    email: String(row.email),
    name: String(row.name),
    role: row.role as Role,
    createdAt: row.created_at as Date,
  };
}

function apiKeyFromRow(row: Record<string, unknown> | undefined): ApiKey {
  if (!row) throw new Error('expected an api key row');
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    name: String(row.name),
    role: row.role as Role,
    createdAt: row.created_at as Date,
    lastUsedAt: (row.last_used_at as Date | null) ?? null,
    revokedAt: (row.revoked_at as Date | null) ?? null,
  };
}
