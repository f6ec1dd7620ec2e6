import type { Principal } from '../../../access/repository.js';
import { AppError } from '../../../http/errors.js';
import { EncryptionKeyMissingError } from '../../../security/secret-box.js';
import {
  type Connection,
  getLiveConnection,
  insertConnection,
  recordReauthorized,
} from '../../../store/repositories/integration-connections.js';
import { consumeOAuthState, createOAuthState } from '../../../store/repositories/oauth-states.js';
import { exchangeAuthorizationCode, OAuthTokenError } from '../client/oauth-tokens.js';
import { QboUncertainError } from '../types.js';
import { credentialsFromGrant, sealCredentials } from './credentials.js';
import { refreshCompany } from './manage.js';
import type { QboDeps } from './session.js';
import { wakeQuickBooksJobs } from './wake-jobs.js';
import { enqueueQuickBooksCdc } from '../inbound/cdc.js';

export const QUICKBOOKS_OAUTH_CALLBACK_PATH = '/api/v1/integrations/quickbooks/oauth/callback';
export const ACCOUNTING_SCOPE = 'com.intuit.quickbooks.accounting';

/** The redirect URI Intuit must have registered for the app; it is sent on authorize and on exchange. */
export function redirectUri(deps: QboDeps): string | undefined {
  const { publicUrl } = deps.quickbooks.settings;
  return publicUrl ? `${publicUrl}${QUICKBOOKS_OAUTH_CALLBACK_PATH}` : undefined;
}

/**
 * The authorize URL for the signed-in principal. Allowed with no live connection, or to repair one
 * that needs re-authorization (it is then updated in place); a working connection answers 409.
 */
export async function startOAuth(deps: QboDeps, principal: Principal) {
  const { clientId, clientSecret, authorizeUrl } = deps.quickbooks.settings;
  const redirect = redirectUri(deps);
  if (!clientId || !clientSecret) {
    throw new AppError(
      'unavailable',
      'quickbooks_not_configured',
      'Connecting QuickBooks needs QUICKBOOKS_CLIENT_ID and QUICKBOOKS_CLIENT_SECRET',
    );
  }
  // Intuit accepts only redirect URIs registered for the app, and always requires one.
  if (!redirect) {
    throw new AppError(
      'unavailable',
      'public_url_missing',
      'Connecting QuickBooks needs PUBLIC_URL (the OAuth redirect)',
    );
  }
  requireEncryption(deps);
  const live = await getLiveConnection(deps.db, principal.tenantId, 'quickbooks');
  if (live?.status === 'connected') {
    throw new AppError(
      'conflict',
      'already_connected',
      'QuickBooks is already connected; disconnect it first',
    );
  }
  const { state, expiresAt } = await createOAuthState(deps.db, owner(principal));
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: ACCOUNTING_SCOPE,
    redirect_uri: redirect,
    state,
  });
  return { authorizeUrl: `${authorizeUrl}?${query.toString()}`, expiresAt };
}

export interface QuickBooksOAuthCallback {
  readonly state: string;
  readonly code?: string | undefined;
  readonly realmId?: string | undefined;
  readonly error?: string | undefined;
}

/**
 * Exchanges the code and stores the connection: a new row, or the same company's row that needed
 * re-authorization (its history, links and settings stay). Jobs waiting for it are woken.
 */
export async function completeOAuth(
  deps: QboDeps,
  principal: Principal,
  callback: QuickBooksOAuthCallback,
): Promise<Connection> {
  // Used up first, whatever follows: neither a code nor a state is good for two tries.
  if (!(await consumeOAuthState(deps.db, callback.state, owner(principal)))) {
    throw new AppError(
      'validation',
      'invalid_oauth_state',
      'The OAuth state is unknown, expired, already used, or was started by someone else; start again',
    );
  }
  const { code, realmId } = callback;
  if (callback.error !== undefined || code === undefined || realmId === undefined) {
    const reason = callback.error ?? 'no authorization code or realmId was returned';
    throw new AppError(
      'validation',
      'oauth_denied',
      `QuickBooks did not authorize the connection: ${reason}`,
    );
  }
  requireEncryption(deps);
  const redirect = redirectUri(deps);
  if (!redirect) throw new AppError('unavailable', 'public_url_missing', 'PUBLIC_URL is not set');
  let credentials;
  try {
    const grant = await exchangeAuthorizationCode(deps.quickbooks.settings, code, redirect);
    credentials = credentialsFromGrant(grant, deps.quickbooks.now());
  } catch (error) {
    if (error instanceof OAuthTokenError) {
      throw new AppError(
        'validation',
        'oauth_exchange_failed',
        `QuickBooks refused the authorization code: ${error.message}`,
      );
    }
    if (error instanceof QboUncertainError) {
      throw new AppError('unavailable', 'quickbooks_unavailable', error.message);
    }
    throw error;
  }
  const connection = await store(deps, principal, realmId, (row) =>
    sealCredentials(deps.quickbooks, row, credentials),
  );
  // The company's name is a courtesy: failing to read it leaves the connection, with last_error set.
  return refreshCompany(deps, connection);
}

async function store(
  deps: QboDeps,
  principal: Principal,
  realmId: string,
  seal: (row: Pick<Connection, 'provider' | 'tenantId' | 'id'>) => string,
): Promise<Connection> {
  try {
    return await deps.db.transaction(async (tx) => {
      const live = await getLiveConnection(tx, principal.tenantId, 'quickbooks', { forUpdate: true });
      let connection: Connection;
      if (live && live.externalAccountId !== realmId) {
        throw new AppError(
          'conflict',
          'different_company',
          `This business is connected to QuickBooks company ${live.externalAccountId}; disconnect it before connecting another`,
        );
      } else if (live) {
        connection = await recordReauthorized(tx, live, seal(live));
      } else {
        connection = await insertConnection(tx, {
          tenantId: principal.tenantId,
          provider: 'quickbooks',
          method: 'oauth',
          externalAccountId: realmId,
          connectedBy: principal.actor,
          sealCredentials: seal,
        });
      }
      await wakeQuickBooksJobs(tx, principal.tenantId);
      // The first change-data-capture sweep imports what the company already holds (customers, and
      // invoices when backfilling) and covers anything changed while we were not connected.
      await enqueueQuickBooksCdc(
        tx,
        principal.tenantId,
        connection.id,
        `connected:${new Date().toISOString()}`,
      );
      return connection;
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === '23505') {
      // Not revoked: at Intuit a revocation disconnects the app from the company for everyone.
      throw new AppError(
        'conflict',
        'already_connected',
        'QuickBooks is already connected for this business, or this company is connected to another one',
      );
    }
    throw error;
  }
}

export function requireEncryption(deps: QboDeps): void {
  try {
    deps.quickbooks.secrets.assertCanEncrypt();
  } catch (error) {
    if (error instanceof EncryptionKeyMissingError) {
      throw new AppError('unavailable', 'encryption_key_missing', error.message);
    }
    throw error;
  }
}

function owner(principal: Principal) {
  return { tenantId: principal.tenantId, actor: principal.actor, provider: 'quickbooks' as const };
}
