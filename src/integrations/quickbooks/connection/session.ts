import type { Db } from '../../../store/db.js';
import {
  type Connection,
  getLiveConnection,
  recordNeedsReauth,
  replaceCredentials,
} from '../../../store/repositories/integration-connections.js';
import { QboHttpClient } from '../client/client.js';
import { QboTransport, type QboTokenSource } from '../client/http.js';
import { OAuthTokenError, refreshAccessToken } from '../client/oauth-tokens.js';
import { type QboSession, QboReauthorizationRequiredError, type QuickBooksIntegration } from '../types.js';
import { readConnectionSettings } from './connection-settings.js';
import {
  accessTokenFresh,
  credentialsFromGrant,
  openCredentials,
  type QboCredentials,
  sealCredentials,
} from './credentials.js';

export interface QboDeps {
  readonly db: Db;
  readonly quickbooks: QuickBooksIntegration;
}

/**
 * The tenant has no live QuickBooks connection at all (never connected, or disconnected on purpose).
 * A subclass so callers that only ask "can this run now?" treat it like any reauthorization; job
 * handlers tell them apart (connection/pause.ts): a disconnect is a choice, not a wait.
 */
export class QboNotConnectedError extends QboReauthorizationRequiredError {
  constructor(tenantId: string) {
    super('QuickBooks is not connected', tenantId);
    this.name = 'QboNotConnectedError';
  }
}

/**
 * The tenant's live connection, its settings and a client whose access token is valid for at least
 * five more minutes (refreshed now if not). Throws QboNotConnectedError, or
 * QboReauthorizationRequiredError when the connection waits for a person.
 */
export async function openQboSession(deps: QboDeps, tenantId: string): Promise<QboSession> {
  const connection = await getLiveConnection(deps.db, tenantId, 'quickbooks');
  if (!connection) throw new QboNotConnectedError(tenantId);
  if (connection.status === 'needs_reauth') throw reauthorizationRequired(connection);
  const tokens = new ConnectionTokens(deps, connection);
  await tokens.accessToken();
  const { settings, now } = deps.quickbooks;
  const transport = new QboTransport(settings, connection.externalAccountId, tokens, now);
  return { connection, settings: readConnectionSettings(connection), client: new QboHttpClient(transport) };
}

/**
 * The access token of one connection, refreshed under the connection row's lock so that any number
 * of workers and processes rotate the refresh token once: whoever gets the lock second re-reads what
 * the first stored and uses it, instead of spending an old refresh token (Intuit: invalid_grant).
 */
export class ConnectionTokens implements QboTokenSource {
  private current: QboCredentials;

  constructor(
    private readonly deps: QboDeps,
    private readonly connection: Connection,
  ) {
    this.current = openCredentials(deps.quickbooks, connection);
  }

  /** The refresh this session is running; concurrent calls of one session share it. */
  private inflight: Promise<void> | undefined;

  async accessToken(): Promise<string> {
    if (!accessTokenFresh(this.current, this.deps.quickbooks.now())) await this.refreshShared(undefined);
    return this.current.access_token;
  }

  async renewAfterRejection(rejected: string): Promise<string> {
    // Another call of this session may have replaced the rejected token already.
    const replaced = this.current.access_token !== rejected;
    if (!replaced || !accessTokenFresh(this.current, this.deps.quickbooks.now())) {
      await this.refreshShared(rejected);
    }
    return this.current.access_token;
  }

  private async refreshShared(rejected: string | undefined): Promise<void> {
    this.inflight ??= this.refresh(rejected).finally(() => {
      this.inflight = undefined;
    });
    await this.inflight;
  }

  /**
   * One transaction: lock the row, re-read the tokens; if another worker already replaced them (and
   * not with the token QuickBooks just rejected), use theirs; else call the token endpoint and store
   * the new access AND refresh token before commit. Calling Intuit while holding the row lock is the
   * point: the lock is what serializes refreshes across processes. If the commit fails after Intuit
   * rotated, the previous refresh token keeps working for 24 h, so nothing is lost.
   */
  private async refresh(rejected: string | undefined): Promise<void> {
    const { db, quickbooks } = this.deps;
    const outcome = await db.transaction(async (tx) => {
      const row = await getLiveConnection(tx, this.connection.tenantId, 'quickbooks', { forUpdate: true });
      if (!row || row.id !== this.connection.id) return { kind: 'gone' as const };
      if (row.status === 'needs_reauth') return { kind: 'needs_reauth' as const, row };
      const stored = openCredentials(quickbooks, row);
      const now = quickbooks.now();
      if (accessTokenFresh(stored, now) && stored.access_token !== rejected) {
        return { kind: 'refreshed' as const, credentials: stored };
      }
      let credentials: QboCredentials;
      try {
        credentials = credentialsFromGrant(
          await refreshAccessToken(quickbooks.settings, stored.refresh_token),
          now,
        );
      } catch (error) {
        if (error instanceof OAuthTokenError && error.grantRevoked) {
          const reason = `QuickBooks refused the refresh token (${error.description ?? error.code}); connect QuickBooks again`;
          return { kind: 'needs_reauth' as const, row: await recordNeedsReauth(tx, row, reason) };
        }
        throw error;
      }
      await replaceCredentials(tx, row, sealCredentials(quickbooks, row, credentials));
      return { kind: 'refreshed' as const, credentials };
    });
    if (outcome.kind === 'gone') throw new QboNotConnectedError(this.connection.tenantId);
    if (outcome.kind === 'needs_reauth') throw reauthorizationRequired(outcome.row);
    this.current = outcome.credentials;
  }
}

function reauthorizationRequired(connection: Connection): QboReauthorizationRequiredError {
  return new QboReauthorizationRequiredError(
    `QuickBooks needs to be connected again: ${connection.lastError ?? 'the authorization was refused'}`,
    connection.tenantId,
  );
}
