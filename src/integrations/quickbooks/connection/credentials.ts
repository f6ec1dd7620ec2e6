import { type Connection, credentialContext } from '../../../store/repositories/integration-connections.js';
import type { TokenGrant } from '../client/oauth-tokens.js';
import type { QuickBooksIntegration } from '../types.js';

/** What is stored, encrypted, in integration_connections.credentials for a QuickBooks connection. */
export interface QboCredentials {
  readonly access_token: string;
  readonly refresh_token: string;
  /** ISO 8601 instants, computed from `expires_in` / `x_refresh_token_expires_in` at receipt. */
  readonly access_expires_at: string;
  readonly refresh_expires_at: string;
}

/** Refresh when the access token has less than this left: a call started now still finishes in time. */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

export function credentialsFromGrant(grant: TokenGrant, now: number): QboCredentials {
  return {
    access_token: grant.access_token,
    refresh_token: grant.refresh_token,
    access_expires_at: new Date(now + grant.expires_in * 1000).toISOString(),
    refresh_expires_at: new Date(now + grant.x_refresh_token_expires_in * 1000).toISOString(),
  };
}

export function sealCredentials(
  integration: QuickBooksIntegration,
  row: Pick<Connection, 'provider' | 'tenantId' | 'id'>,
  credentials: QboCredentials,
): string {
  return integration.secrets.encrypt(JSON.stringify(credentials), credentialContext(row, 'credentials'));
}

export function openCredentials(integration: QuickBooksIntegration, connection: Connection): QboCredentials {
  if (!connection.credentials) throw new Error(`connection ${connection.id} holds no credentials`);
  const text = integration.secrets.decrypt(
    connection.credentials,
    credentialContext(connection, 'credentials'),
  );
  return JSON.parse(text) as QboCredentials;
}

/** The access token is good for at least REFRESH_MARGIN_MS more. */
export function accessTokenFresh(credentials: QboCredentials, now: number): boolean {
  return Date.parse(credentials.access_expires_at) - now > REFRESH_MARGIN_MS;
}
