/**
 * Everything Intuit's OAuth server remembers for one app, kept apart from the rules in
 * `authority.ts` so the emulator can save and restore it whole. Times are the emulator clock's ms.
 */

/** One connection between the app and a company: every token it hands out belongs to one grant. */
export interface Grant {
  readonly id: string;
  readonly realmId: string;
  readonly hardExpiresMs: number;
  /** The refresh token value the grant hands out now; undefined for grants minted in-process. */
  currentRefresh: string | undefined;
}

export interface RefreshRecord {
  readonly grantId: string;
  readonly issuedMs: number;
  readonly expiresMs: number;
  /** When a newer value replaced this one; it keeps working for the grace period after. */
  supersededMs: number | undefined;
}

export interface AccessRecord {
  readonly grantId: string;
  readonly realmId: string;
  expiresMs: number;
}

export interface CodeRecord {
  readonly realmId: string;
  readonly redirectUri: string;
  readonly expiresMs: number;
}

/** A consent page shown and not yet answered (`GET /connect/oauth2` → `POST`). */
export interface PendingConsent {
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly createdMs: number;
}

/** The store as plain JSON: each map as its entries, oldest first; `undefined` fields become null. */
export interface OAuthSnapshot {
  readonly grants: [string, Omit<Grant, 'currentRefresh'> & { currentRefresh: string | null }][];
  readonly codes: [string, CodeRecord][];
  readonly refreshTokens: [string, Omit<RefreshRecord, 'supersededMs'> & { supersededMs: number | null }][];
  readonly accessTokens: [string, AccessRecord][];
  readonly consents: [string, Omit<PendingConsent, 'state'> & { state: string | null }][];
}

export class OAuthStore {
  readonly grants = new Map<string, Grant>();
  readonly codes = new Map<string, CodeRecord>();
  readonly refreshTokens = new Map<string, RefreshRecord>();
  readonly accessTokens = new Map<string, AccessRecord>();
  readonly consents = new Map<string, PendingConsent>();

  /** Called after every change to the store (a snapshot is due). */
  constructor(readonly changed: () => void = () => {}) {}

  snapshot(): OAuthSnapshot {
    return {
      grants: [...this.grants].map(([id, g]) => [id, { ...g, currentRefresh: g.currentRefresh ?? null }]),
      codes: [...this.codes].map(([code, record]) => [code, { ...record }]),
      refreshTokens: [...this.refreshTokens].map(([value, r]) => [
        value,
        { ...r, supersededMs: r.supersededMs ?? null },
      ]),
      accessTokens: [...this.accessTokens].map(([value, record]) => [value, { ...record }]),
      consents: [...this.consents].map(([id, c]) => [id, { ...c, state: c.state ?? null }]),
    };
  }

  restore(snapshot: OAuthSnapshot): void {
    for (const [id, g] of snapshot.grants)
      this.grants.set(id, { ...g, currentRefresh: g.currentRefresh ?? undefined });
    for (const [code, record] of snapshot.codes) this.codes.set(code, { ...record });
    for (const [value, r] of snapshot.refreshTokens)
      this.refreshTokens.set(value, { ...r, supersededMs: r.supersededMs ?? undefined });
    for (const [value, record] of snapshot.accessTokens) this.accessTokens.set(value, { ...record });
    for (const [id, c] of snapshot.consents) this.consents.set(id, { ...c, state: c.state ?? undefined });
  }
}
