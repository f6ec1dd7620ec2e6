import { randomToken, sha256 } from '../../access/secrets.js';
import type { Queryable } from '../db.js';
import type { Provider } from './integration-connections.js';

/**
 * OAuth `state` values: the CSRF defence of the authorization-code flow. Stored as SHA-256 (the value
 * itself travels through the browser and the provider), bound to the tenant and the principal who
 * started the flow, valid for ten minutes, usable once.
 */
export const OAUTH_STATE_TTL_MINUTES = 10;

export interface OAuthStateOwner {
  readonly tenantId: string;
  /** `user:usr_…` or `api_key:key_…` */
  readonly actor: string;
  readonly provider: Provider;
}

export async function createOAuthState(
  db: Queryable,
  owner: OAuthStateOwner,
): Promise<{ state: string; expiresAt: Date }> {
  // Expired states are useless; dropping them here keeps the table small without a sweeper.
  await db.query("DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'");
  const state = randomToken(32);
  const [row] = await db.query<{ expires_at: Date }>(
    `INSERT INTO oauth_states (state_hash, tenant_id, actor, provider, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5)) RETURNING expires_at`,
    [sha256(state), owner.tenantId, owner.actor, owner.provider, OAUTH_STATE_TTL_MINUTES],
  );
  if (!row) throw new Error('insert into oauth_states returned no row');
  return { state, expiresAt: row.expires_at };
}

/**
 * Uses the state up, atomically: true only if it exists, belongs to exactly this tenant, principal and
 * provider, has not expired and was not used. A state presented by anyone else is left untouched, so
 * an attacker cannot burn a victim's flow either.
 */
export async function consumeOAuthState(
  db: Queryable,
  state: string,
  owner: OAuthStateOwner,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE oauth_states SET used_at = now()
     WHERE state_hash = $1 AND tenant_id = $2 AND actor = $3 AND provider = $4
       AND used_at IS NULL AND expires_at > now()
     RETURNING 1`,
    [sha256(state), owner.tenantId, owner.actor, owner.provider],
  );
  return rows.length === 1;
}
