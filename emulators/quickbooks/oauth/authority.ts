import { randomBytes } from 'node:crypto';
import { type Grant, OAuthStore } from './store.js';

/** Intuit's authorization codes are single-use and short-lived. */
const CODE_TTL_MS = 5 * 60 * 1000;
const DAY_SEC = 86_400;

export interface OAuthAuthorityOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  readonly now: () => number;
  /** `expires_in` of access tokens (Intuit: one hour). */
  readonly accessTokenTtlSec?: number;
  /** Life of one refresh token value, `x_refresh_token_expires_in` (Intuit: 101 days). */
  readonly refreshTokenTtlSec?: number;
  /** How long a superseded refresh token keeps working after a new one was handed out (Intuit: 24 h). */
  readonly previousRefreshGraceSec?: number;
  /**
   * Age after which a refresh hands out a new refresh token value. Intuit returns the same value
   * for about 24 h and a new one after; 0 rotates on every refresh (strict, for tests).
   */
  readonly rotateRefreshAfterSec?: number;
  /** The cap on a connection since it was authorized, `x_refresh_token_hard_expires_in` (5 years). */
  readonly hardExpirySec?: number;
  /** Redirect URIs registered for the app; when given, the authorize page accepts only these. */
  readonly redirectUris?: readonly string[];
  /** Called after every change to the tokens, codes or pending consents (a snapshot is due). */
  readonly onChange?: () => void;
}

export interface TokenResponse {
  token_type: 'bearer';
  access_token: string;
  expires_in: number;
  refresh_token: string;
  x_refresh_token_expires_in: number;
  x_refresh_token_hard_expires_in?: number;
}

/** A failure of the token or revoke endpoint, in OAuth's `{error, error_description}` shape. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description?: string,
  ) {
    super(description ?? code);
  }

  toJSON(): { error: string; error_description?: string } {
    return this.message === this.code
      ? { error: this.code }
      : { error: this.code, error_description: this.message };
  }
}

/**
 * Intuit's OAuth 2.0 server for one app (one client id): authorization codes, access tokens,
 * rolling refresh tokens with their 24 h overlap, and revocation of a whole connection.
 */
export class OAuthAuthority {
  readonly clientId: string;
  readonly redirectUris: readonly string[] | undefined;
  private readonly clientSecret: string;
  /** The authority's clock, shared with the consent pages' expiry. */
  readonly now: () => number;
  private readonly accessTtlMs: number;
  private readonly refreshTtlMs: number;
  private readonly graceMs: number;
  private readonly rotateAfterMs: number;
  private readonly hardExpiryMs: number;
  /** Every grant, code, token and pending consent; `snapshot()`/`restore()` carry it across restarts. */
  readonly store: OAuthStore;

  constructor(options: OAuthAuthorityOptions) {
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.redirectUris = options.redirectUris;
    this.now = options.now;
    this.accessTtlMs = (options.accessTokenTtlSec ?? 3600) * 1000;
    this.refreshTtlMs = (options.refreshTokenTtlSec ?? 8_726_400) * 1000;
    this.graceMs = (options.previousRefreshGraceSec ?? DAY_SEC) * 1000;
    this.rotateAfterMs = (options.rotateRefreshAfterSec ?? DAY_SEC) * 1000;
    this.hardExpiryMs = (options.hardExpirySec ?? 5 * 365 * DAY_SEC) * 1000;
    this.store = new OAuthStore(options.onChange);
  }

  /** Whether `Authorization: Basic …` names this app; compared whole, as a secret must be. */
  checkClient(authorization: string | undefined): boolean {
    if (!authorization?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    return decoded === `${this.clientId}:${this.clientSecret}`;
  }

  issueCode(realmId: string, redirectUri: string): string {
    const now = this.now();
    for (const [code, record] of this.store.codes) if (record.expiresMs <= now) this.store.codes.delete(code);
    const code = token('AB11', 40);
    this.store.codes.set(code, { realmId, redirectUri, expiresMs: now + CODE_TTL_MS });
    this.store.changed();
    return code;
  }

  /** `grant_type=authorization_code`: a new connection to the company the person picked. */
  redeemCode(code: string, redirectUri: string | undefined, withHardExpiry: boolean): TokenResponse {
    const record = this.store.codes.get(code);
    // Single use: a second attempt finds nothing, whatever happened to the first.
    this.store.codes.delete(code);
    if (record) this.store.changed();
    if (!record || record.expiresMs <= this.now()) throw new OAuthError(400, 'invalid_grant');
    if (redirectUri !== record.redirectUri) throw new OAuthError(400, 'invalid_grant');
    const grant: Grant = {
      id: token('grant', 16),
      realmId: record.realmId,
      hardExpiresMs: this.now() + this.hardExpiryMs,
      currentRefresh: undefined,
    };
    this.store.grants.set(grant.id, grant);
    return this.respond(grant, this.newRefreshToken(grant), withHardExpiry);
  }

  /** `grant_type=refresh_token`: a new access token, and the grant's current refresh token. */
  refresh(refreshToken: string, withHardExpiry: boolean): TokenResponse {
    const now = this.now();
    const record = this.store.refreshTokens.get(refreshToken);
    const grant = record ? this.store.grants.get(record.grantId) : undefined;
    if (!record || !grant) {
      throw new OAuthError(400, 'invalid_grant', 'Incorrect or invalid refresh token');
    }
    const superseded = record.supersededMs !== undefined && now >= record.supersededMs + this.graceMs;
    if (superseded || now >= record.expiresMs || now >= grant.hardExpiresMs) {
      this.store.refreshTokens.delete(refreshToken);
      this.store.changed();
      throw new OAuthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    const current = grant.currentRefresh;
    if (current !== refreshToken && current !== undefined) {
      // A previous value inside its grace period: answer with the value the grant hands out now,
      // so a second process that refreshed with a stale copy converges on the newest one.
      return this.respond(grant, current, withHardExpiry);
    }
    if (now - record.issuedMs >= this.rotateAfterMs) {
      record.supersededMs = now;
      return this.respond(grant, this.newRefreshToken(grant), withHardExpiry);
    }
    return this.respond(grant, refreshToken, withHardExpiry);
  }

  verifyAccessToken(accessToken: string): { realmId: string } | { error: 'invalid' | 'expired' } {
    const record = this.store.accessTokens.get(accessToken);
    if (!record || !this.store.grants.has(record.grantId)) return { error: 'invalid' };
    if (this.now() >= record.expiresMs) return { error: 'expired' };
    return { realmId: record.realmId };
  }

  /** An access token for a company without the consent flow, for in-process tests and tools. */
  mintAccessToken(realmId: string): string {
    const grant: Grant = {
      id: token('grant', 16),
      realmId,
      hardExpiresMs: this.now() + this.hardExpiryMs,
      currentRefresh: undefined,
    };
    this.store.grants.set(grant.id, grant);
    return this.newAccessToken(grant);
  }

  /** Whether any connection to the company is live (Intuit sends webhooks only for those). */
  hasConnection(realmId: string): boolean {
    for (const grant of this.store.grants.values()) if (grant.realmId === realmId) return true;
    return false;
  }

  /** Makes live access tokens (of one company, or all) expire now, as an hour passing would. */
  expireAccessTokens(realmId?: string): void {
    const now = this.now();
    for (const record of this.store.accessTokens.values()) {
      if (realmId === undefined || record.realmId === realmId)
        record.expiresMs = Math.min(record.expiresMs, now);
    }
    this.store.changed();
  }

  /**
   * Disconnects the grant an access or refresh token belongs to: every token of that connection
   * stops working. Unknown tokens are ignored, as RFC 7009 asks. Returns the company disconnected.
   */
  revoke(anyToken: string): string | undefined {
    const grantId =
      this.store.accessTokens.get(anyToken)?.grantId ?? this.store.refreshTokens.get(anyToken)?.grantId;
    const grant = grantId === undefined ? undefined : this.store.grants.get(grantId);
    if (!grant) return undefined;
    this.store.grants.delete(grant.id);
    for (const [value, record] of this.store.accessTokens)
      if (record.grantId === grant.id) this.store.accessTokens.delete(value);
    for (const [value, record] of this.store.refreshTokens)
      if (record.grantId === grant.id) this.store.refreshTokens.delete(value);
    this.store.changed();
    return grant.realmId;
  }

  private newRefreshToken(grant: Grant): string {
    const value = token('AB11', 46);
    const now = this.now();
    this.store.refreshTokens.set(value, {
      grantId: grant.id,
      issuedMs: now,
      expiresMs: Math.min(now + this.refreshTtlMs, grant.hardExpiresMs),
      supersededMs: undefined,
    });
    grant.currentRefresh = value;
    return value;
  }

  private newAccessToken(grant: Grant): string {
    const value = token('', 96);
    this.store.accessTokens.set(value, {
      grantId: grant.id,
      realmId: grant.realmId,
      expiresMs: this.now() + this.accessTtlMs,
    });
    // Every successful code exchange, refresh and mint ends here, after its other changes.
    this.store.changed();
    return value;
  }

  private respond(grant: Grant, refreshToken: string, withHardExpiry: boolean): TokenResponse {
    const now = this.now();
    const refresh = this.store.refreshTokens.get(refreshToken);
    const seconds = (ms: number) => Math.max(0, Math.floor((ms - now) / 1000));
    return {
      token_type: 'bearer',
      access_token: this.newAccessToken(grant),
      expires_in: Math.floor(this.accessTtlMs / 1000),
      refresh_token: refreshToken,
      x_refresh_token_expires_in: seconds(refresh?.expiresMs ?? now),
      ...(withHardExpiry ? { x_refresh_token_hard_expires_in: seconds(grant.hardExpiresMs) } : {}),
    };
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An unguessable opaque token: `prefix` then `length` random letters and digits. */
function token(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length] ?? 'A';
  return out;
}
