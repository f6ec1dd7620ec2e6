import type { Config } from '../../config.js';
import { SecretBox } from '../../security/secret-box.js';
import type { QuickBooksIntegration, QuickBooksSettings } from './types.js';

/** Intuit's hosts. The OAuth endpoints are the same for sandbox and production companies. */
export const QUICKBOOKS_API_BASES = {
  production: 'https://quickbooks.api.intuit.com',
  sandbox: 'https://sandbox-quickbooks.api.intuit.com',
} as const;
const INTUIT_AUTHORIZE_URL = 'https://appcenter.intuit.com/connect/oauth2';
const INTUIT_TOKEN_URL = 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer';
const INTUIT_REVOKE_URL = 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke';

/** Since August 2025 QuickBooks serves every older minor version as 75; we ask for it explicitly. */
export const QUICKBOOKS_MINOR_VERSION = 75;
/** Intuit times requests out after 120 s; we give up sooner and let the job queue retry. */
export const QUICKBOOKS_TIMEOUT_MS = 60_000;

/** The OAuth endpoints on one origin at Intuit's paths (how the emulator serves them). */
export function oauthEndpointsAt(base: string) {
  return {
    authorizeUrl: `${base}/connect/oauth2`,
    tokenUrl: `${base}/oauth2/v1/tokens/bearer`,
    revokeUrl: `${base}/v2/oauth2/tokens/revoke`,
  };
}

export function quickbooksSettingsFromConfig(config: Config): QuickBooksSettings {
  const oauth = config.quickbooksOAuthBase
    ? oauthEndpointsAt(config.quickbooksOAuthBase)
    : { authorizeUrl: INTUIT_AUTHORIZE_URL, tokenUrl: INTUIT_TOKEN_URL, revokeUrl: INTUIT_REVOKE_URL };
  return {
    apiBase: config.quickbooksApiBase ?? QUICKBOOKS_API_BASES[config.quickbooksEnvironment],
    ...oauth,
    clientId: config.quickbooksClientId,
    clientSecret: config.quickbooksClientSecret,
    webhookVerifierTokens: config.quickbooksWebhookVerifierTokens,
    publicUrl: config.publicUrl,
    minorVersion: QUICKBOOKS_MINOR_VERSION,
    timeoutMs: QUICKBOOKS_TIMEOUT_MS,
  };
}

export function createQuickBooksIntegration(config: Config, secrets: SecretBox): QuickBooksIntegration {
  return { settings: quickbooksSettingsFromConfig(config), secrets, now: Date.now };
}

/**
 * What an app built without integration settings gets: Intuit's real hosts, no app credentials and
 * no encryption key, so connecting refuses. For callers that never connect (benchmarks, tests of
 * other parts); `ledgerbridge start` always passes the configured integration.
 */
export function unconfiguredQuickBooksIntegration(): QuickBooksIntegration {
  return {
    settings: {
      apiBase: QUICKBOOKS_API_BASES.production,
      authorizeUrl: INTUIT_AUTHORIZE_URL,
      tokenUrl: INTUIT_TOKEN_URL,
      revokeUrl: INTUIT_REVOKE_URL,
      clientId: undefined,
      clientSecret: undefined,
      webhookVerifierTokens: [],
      publicUrl: undefined,
      minorVersion: QUICKBOOKS_MINOR_VERSION,
      timeoutMs: QUICKBOOKS_TIMEOUT_MS,
    },
    secrets: new SecretBox([], 'This app was built without integration settings (no encryption key)'),
    now: Date.now,
  };
}
