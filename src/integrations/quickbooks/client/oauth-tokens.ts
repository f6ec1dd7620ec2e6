import { describeError } from '../../../jobs/errors.js';
import type { QuickBooksSettings } from '../types.js';
import { QboUncertainError } from '../types.js';

/**
 * Intuit's OAuth 2.0 token and revoke endpoints, called with `fetch`.
 *
 * Why not npm `intuit-oauth`: its endpoint URLs are class-level statics (`OAuthClient.environment`,
 * `setAuthorizeURLs`), so pointing one client at an emulator repoints every client in the process,
 * and parallel tests (or a sandbox next to production) would race on that shared state. The two
 * calls we need are small, documented form posts, so a configurable base per integration is simpler
 * and safer with `fetch`.
 */

/** The token endpoint's answer, as Intuit documents it. */
export interface TokenGrant {
  readonly access_token: string;
  readonly refresh_token: string;
  /** Seconds the access token lives (3600). */
  readonly expires_in: number;
  /** Seconds the refresh token value lives (about 100 days). */
  readonly x_refresh_token_expires_in: number;
}

/** The endpoint refused the request with OAuth's `{error, error_description}` (e.g. invalid_grant). */
export class OAuthTokenError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string | undefined,
  ) {
    super(`Intuit OAuth ${status}: ${code}${description ? ` (${description})` : ''}`);
    this.name = 'OAuthTokenError';
  }

  /** The grant is gone (revoked, expired, superseded): only a person connecting again helps. */
  get grantRevoked(): boolean {
    return this.code === 'invalid_grant';
  }
}

type Credentials = Pick<QuickBooksSettings, 'clientId' | 'clientSecret' | 'timeoutMs'>;

export function exchangeAuthorizationCode(
  settings: Credentials & Pick<QuickBooksSettings, 'tokenUrl'>,
  code: string,
  redirectUri: string,
): Promise<TokenGrant> {
  return tokenRequest(settings, settings.tokenUrl, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
  });
}

export function refreshAccessToken(
  settings: Credentials & Pick<QuickBooksSettings, 'tokenUrl'>,
  refreshToken: string,
): Promise<TokenGrant> {
  return tokenRequest(settings, settings.tokenUrl, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  });
}

/** Revokes the whole grant the token belongs to (Intuit: every token of the connection stops working). */
export async function revokeGrant(
  settings: Credentials & Pick<QuickBooksSettings, 'revokeUrl'>,
  token: string,
): Promise<void> {
  await post(settings, settings.revokeUrl, JSON.stringify({ token }), 'application/json');
}

async function tokenRequest(
  settings: Credentials,
  url: string,
  form: Record<string, string>,
): Promise<TokenGrant> {
  const body = await post(
    settings,
    url,
    new URLSearchParams(form).toString(),
    'application/x-www-form-urlencoded',
  );
  const grant = body as Partial<TokenGrant> | undefined;
  if (
    typeof grant?.access_token !== 'string' ||
    typeof grant.refresh_token !== 'string' ||
    typeof grant.expires_in !== 'number'
  ) {
    throw new QboUncertainError('Intuit answered the token request without tokens');
  }
  return {
    access_token: grant.access_token,
    refresh_token: grant.refresh_token,
    expires_in: grant.expires_in,
    // Absent on some answers; Intuit's documented life of a refresh token value is 100 days.
    x_refresh_token_expires_in:
      typeof grant.x_refresh_token_expires_in === 'number' ? grant.x_refresh_token_expires_in : 100 * 86_400,
  };
}

/** One POST with Basic client authentication; OAuth errors become OAuthTokenError, outages QboUncertainError. */
async function post(settings: Credentials, url: string, body: string, contentType: string): Promise<unknown> {
  const { clientId, clientSecret, timeoutMs } = settings;
  if (!clientId || !clientSecret)
    throw new Error('QUICKBOOKS_CLIENT_ID and QUICKBOOKS_CLIENT_SECRET are not set');
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': contentType,
        accept: 'application/json',
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    throw new QboUncertainError(`Intuit OAuth could not be reached: ${describeError(error)}`);
  }
  const json = parseJson(text);
  if (response.ok) return json;
  if (response.status >= 500 || response.status === 429) {
    throw new QboUncertainError(`Intuit OAuth answered ${response.status}`);
  }
  const error = json as { error?: unknown; error_description?: unknown } | undefined;
  throw new OAuthTokenError(
    response.status,
    typeof error?.error === 'string' ? error.error : `http_${response.status}`,
    typeof error?.error_description === 'string' ? error.error_description : undefined,
  );
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
