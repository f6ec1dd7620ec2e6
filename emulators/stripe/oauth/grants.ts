import { stripeId } from '../kernel/ids.js';
import type { EmulatorState } from '../kernel/state.js';

/** Stripe's authorization codes are single-use and expire after five minutes. */
const CODE_TTL_MS = 5 * 60 * 1000;
/** How long an Authorize page stays usable; long enough for a person, short enough to not pile up. */
const REQUEST_TTL_MS = 60 * 60 * 1000;

export type Scope = 'read_write' | 'read_only';

export interface AuthorizationRequest {
  readonly platformId: string;
  readonly scope: Scope;
  readonly state: string | undefined;
  readonly redirectUri: string;
  readonly createdMs: number;
}

export interface Grant {
  readonly accountId: string;
  readonly platformId: string;
  readonly scope: Scope;
}

export interface OAuthToken {
  access_token: string;
  livemode: false;
  refresh_token: string;
  scope: Scope;
  stripe_publishable_key: string;
  stripe_user_id: string;
  token_type: 'bearer';
}

/** A failure in OAuth's own error format, `{error, error_description}`, not the API's. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

/** Everything OAuthGrants holds, as plain data for a snapshot (access tokens live in the state's keys). */
export interface OAuthGrantsSnapshot {
  readonly requests: [id: string, request: AuthorizationRequest][];
  readonly codes: [code: string, grant: Grant & { readonly expiresMs: number }][];
  readonly refreshTokens: [token: string, grant: Grant][];
}

const perEmulator = new WeakMap<EmulatorState, OAuthGrants>();

/** The OAuth bookkeeping of an emulator, made on first use. */
export function oauthGrants(state: EmulatorState): OAuthGrants {
  let found = perEmulator.get(state);
  if (!found) {
    found = new OAuthGrants(state);
    perEmulator.set(state, found);
  }
  return found;
}

/**
 * The Connect OAuth bookkeeping of one emulator: pending Authorize pages, authorization codes,
 * refresh tokens, and the access tokens it hands out (API keys of kind `oauth_access`).
 */
export class OAuthGrants {
  private readonly requests = new Map<string, AuthorizationRequest>();
  private readonly codes = new Map<string, Grant & { readonly expiresMs: number }>();
  private readonly refreshTokens = new Map<string, Grant>();

  constructor(private readonly state: EmulatorState) {}

  snapshot(): OAuthGrantsSnapshot {
    return {
      requests: [...this.requests],
      codes: [...this.codes],
      refreshTokens: [...this.refreshTokens],
    };
  }

  load(snapshot: OAuthGrantsSnapshot): void {
    for (const [id, request] of snapshot.requests) this.requests.set(id, request);
    for (const [code, grant] of snapshot.codes) this.codes.set(code, grant);
    for (const [token, grant] of snapshot.refreshTokens) this.refreshTokens.set(token, grant);
  }

  openRequest(request: Omit<AuthorizationRequest, 'createdMs'>): string {
    const now = this.state.clock.nowMs();
    for (const [id, pending] of this.requests) {
      if (now - pending.createdMs > REQUEST_TTL_MS) this.requests.delete(id);
    }
    const id = stripeId('oauthreq', 24);
    this.requests.set(id, { ...request, createdMs: now });
    return id;
  }

  /** The pending request, consumed: an Authorize page answers once. */
  takeRequest(id: string): AuthorizationRequest | undefined {
    const request = this.requests.get(id);
    this.requests.delete(id);
    if (!request || this.state.clock.nowMs() - request.createdMs > REQUEST_TTL_MS) return undefined;
    return request;
  }

  issueCode(grant: Grant): string {
    const code = stripeId('ac', 32);
    this.codes.set(code, { ...grant, expiresMs: this.state.clock.nowMs() + CODE_TTL_MS });
    return code;
  }

  redeemCode(code: string, platformId: string): OAuthToken {
    const grant = this.codes.get(code);
    // Used, unknown and another platform's codes all look the same from outside.
    if (!grant || grant.platformId !== platformId) {
      throw new OAuthError(400, 'invalid_grant', `Authorization code does not exist: ${code}`);
    }
    this.codes.delete(code);
    if (this.state.clock.nowMs() > grant.expiresMs) {
      throw new OAuthError(400, 'invalid_grant', `Authorization code expired: ${code}`);
    }
    this.assertConnected(grant);
    const refreshToken = stripeId('rt', 48);
    this.refreshTokens.set(refreshToken, grant);
    return this.token(grant, refreshToken);
  }

  refresh(refreshToken: string, platformId: string, scope: Scope | undefined): OAuthToken {
    const grant = this.refreshTokens.get(refreshToken);
    if (!grant || grant.platformId !== platformId) {
      throw new OAuthError(400, 'invalid_grant', `Refresh token does not exist: ${refreshToken}`);
    }
    this.assertConnected(grant);
    // A refresh may narrow the scope, never widen it.
    if (scope === 'read_write' && grant.scope === 'read_only') {
      throw new OAuthError(400, 'invalid_scope', 'Cannot upgrade a read_only grant to read_write.');
    }
    return this.token({ ...grant, scope: scope ?? grant.scope }, refreshToken);
  }

  /** Deauthorization: every access and refresh token for the account stops working. */
  revoke(accountId: string): void {
    for (const [key, apiKey] of this.state.keys) {
      if (apiKey.kind === 'oauth_access' && apiKey.accountId === accountId) this.state.keys.delete(key);
    }
    for (const [token, grant] of this.refreshTokens) {
      if (grant.accountId === accountId) this.refreshTokens.delete(token);
    }
    for (const [code, grant] of this.codes) if (grant.accountId === accountId) this.codes.delete(code);
  }

  private assertConnected(grant: Grant): void {
    if (this.state.account(grant.accountId)?.connectedTo !== grant.platformId) {
      throw new OAuthError(400, 'invalid_grant', `The account ${grant.accountId} is no longer connected.`);
    }
  }

  private token(grant: Grant, refreshToken: string): OAuthToken {
    const accessToken = `sk_test_${stripeId('oauth', 40).slice(6)}`;
    this.state.addKey({ key: accessToken, accountId: grant.accountId, kind: 'oauth_access' });
    return {
      access_token: accessToken,
      livemode: false,
      refresh_token: refreshToken,
      scope: grant.scope,
      stripe_publishable_key: `pk_test_${stripeId('pk', 40).slice(3)}`,
      stripe_user_id: grant.accountId,
      token_type: 'bearer',
    };
  }
}
