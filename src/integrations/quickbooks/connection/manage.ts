import type { Principal } from '../../../access/repository.js';
import { AppError } from '../../../http/errors.js';
import { describeError } from '../../../jobs/errors.js';
import {
  type Connection,
  getCurrentConnection,
  getLiveConnection,
  markDisconnected,
  recordConnectionError,
  recordVerified,
} from '../../../store/repositories/integration-connections.js';
import { revokeGrant } from '../client/oauth-tokens.js';
import {
  QboFaultError,
  QboReauthorizationRequiredError,
  QboThrottledError,
  QboUncertainError,
} from '../types.js';
import { fetchCompany, saveCompany } from './company.js';
import { openCredentials } from './credentials.js';
import { openQboSession, type QboDeps, QboNotConnectedError } from './session.js';
import { wakeQuickBooksJobs } from './wake-jobs.js';

/**
 * Reads CompanyInfo with the connection's tokens and records the outcome: verified (with the
 * company's name stored), needs_reauth (the grant is gone; recorded by the session), or last_error.
 */
export async function refreshCompany(deps: QboDeps, connection: Connection): Promise<Connection> {
  try {
    const session = await openQboSession(deps, connection.tenantId);
    await saveCompany(deps.db, connection, await fetchCompany(session.client));
    return await recordVerified(deps.db, connection);
  } catch (error) {
    if (error instanceof QboReauthorizationRequiredError) {
      return (await getCurrentConnection(deps.db, connection.tenantId, 'quickbooks')) ?? connection;
    }
    return recordConnectionError(
      deps.db,
      connection,
      `CompanyInfo could not be read: ${describeError(error)}`,
    );
  }
}

/** POST …/verify: a CompanyInfo read now. A connection waiting for re-authorization stays so. */
export async function verifyConnection(deps: QboDeps, principal: Principal): Promise<Connection> {
  const connection = await requireLive(deps, principal.tenantId);
  if (connection.status === 'needs_reauth') return connection;
  return refreshCompany(deps, connection);
}

export interface Disconnection {
  readonly connection: Connection;
  /** Why Intuit did not confirm the revocation; null when it did. */
  readonly revokeError: string | null;
}

/**
 * Revokes the grant at Intuit (every token of the connection stops working), then marks the row
 * disconnected with its credentials wiped and its history kept. Unlike Stripe's, a failed revocation
 * still disconnects here: the tokens are destroyed with the row, so nothing of ours can use the grant
 * again, and the person asked to stop syncing; the answer and last_error say the revocation failed
 * (the company's admin can remove the app in QuickBooks). Waiting jobs are woken to settle.
 */
export async function disconnect(deps: QboDeps, principal: Principal): Promise<Disconnection> {
  let connection = await requireLive(deps, principal.tenantId);
  let revokeError: string | null = null;
  try {
    const { refresh_token: refreshToken } = openCredentials(deps.quickbooks, connection);
    await revokeGrant(deps.quickbooks.settings, refreshToken);
  } catch (error) {
    revokeError = describeError(error);
    connection = await recordConnectionError(
      deps.db,
      connection,
      `revoking at Intuit failed: ${revokeError}`,
    );
  }
  const disconnected = (await markDisconnected(deps.db, connection, principal.actor)) ?? connection;
  await wakeQuickBooksJobs(deps.db, principal.tenantId);
  return { connection: disconnected, revokeError };
}

export async function requireLive(deps: QboDeps, tenantId: string): Promise<Connection> {
  const connection = await getLiveConnection(deps.db, tenantId, 'quickbooks');
  if (!connection) throw new AppError('not_found', 'not_connected', 'QuickBooks is not connected');
  return connection;
}

/** How a QuickBooks failure during an API request is answered. */
export function quickbooksAppError(error: unknown): unknown {
  if (error instanceof QboNotConnectedError) {
    return new AppError('not_found', 'not_connected', 'QuickBooks is not connected');
  }
  if (error instanceof QboReauthorizationRequiredError) {
    return new AppError('conflict', 'quickbooks_needs_reauth', error.message);
  }
  if (error instanceof QboThrottledError || error instanceof QboUncertainError) {
    return new AppError(
      'unavailable',
      'quickbooks_unavailable',
      `QuickBooks could not answer: ${error.message}`,
    );
  }
  if (error instanceof QboFaultError) {
    return new AppError('unavailable', 'quickbooks_error', error.message);
  }
  return error;
}
