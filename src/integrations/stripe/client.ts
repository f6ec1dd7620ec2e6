import Stripe from 'stripe';
import { describeError } from '../../jobs/errors.js';
import type { Connection } from '../../store/repositories/integration-connections.js';
import { credentialContext } from '../../store/repositories/integration-connections.js';
import type { StripeIntegration } from './settings.js';

/**
 * Official SDK clients pointed at a configurable base URL (real Stripe, or the emulator in tests and
 * sandbox mode). The SDK never retries by itself: our job queue retries with backoff and the
 * idempotency keys we choose, so an SDK retry would only double the attempts and hide failures.
 */
export function createStripeClient(key: string, base: string, timeoutMs: number): Stripe {
  const url = new URL(base);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(key, {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
    maxNetworkRetries: 0,
    timeout: timeoutMs,
    appInfo: { name: 'ledgerbridge' },
  });
}

/**
 * A client for `connect.stripe.com` (OAuth token and deauthorize), authenticated with the platform
 * key. The SDK's oauth helpers send to the client's own host whenever it is not the default API host
 * (`resolveBaseAddress`), so a client built on STRIPE_CONNECT_BASE reaches the right place, real or
 * emulated. (Its authorizeUrl() hardcodes https, so we build the authorize URL ourselves.)
 */
export function createConnectClient(integration: StripeIntegration): Stripe {
  const { platformSecretKey, connectBase, timeoutMs } = integration.settings;
  if (!platformSecretKey) throw new Error('STRIPE_SECRET_KEY is not set');
  return createStripeClient(platformSecretKey, connectBase, timeoutMs);
}

/** What is stored, encrypted, in integration_connections.credentials. */
export type StripeCredentials =
  | { readonly kind: 'api_key'; readonly secret_key: string }
  | {
      readonly kind: 'oauth';
      readonly access_token: string | null;
      readonly refresh_token: string | null;
      readonly scope: string | null;
      readonly livemode: boolean | null;
    };

export function openCredentials(integration: StripeIntegration, connection: Connection): StripeCredentials {
  if (!connection.credentials) throw new Error(`connection ${connection.id} holds no credentials`);
  const text = integration.secrets.decrypt(
    connection.credentials,
    credentialContext(connection, 'credentials'),
  );
  return JSON.parse(text) as StripeCredentials;
}

export interface AccountAccess {
  readonly stripe: Stripe;
  /** Per-request options: `stripeAccount` for Connect, so one platform client serves every account. */
  readonly options: Stripe.RequestOptions;
}

/**
 * How to call Stripe as the connected account: its own key (api_key), or the platform key acting on
 * the account through `Stripe-Account` (oauth), which Stripe recommends over the OAuth access token.
 */
export function accountAccess(integration: StripeIntegration, connection: Connection): AccountAccess {
  const { apiBase, timeoutMs, platformSecretKey } = integration.settings;
  const credentials = openCredentials(integration, connection);
  if (credentials.kind === 'api_key') {
    return { stripe: createStripeClient(credentials.secret_key, apiBase, timeoutMs), options: {} };
  }
  if (!platformSecretKey)
    throw new Error('STRIPE_SECRET_KEY is not set; Connect accounts are reached with it');
  return {
    stripe: createStripeClient(platformSecretKey, apiBase, timeoutMs),
    options: { stripeAccount: connection.externalAccountId },
  };
}

/** How a failed Stripe call should be treated. */
export type StripeFailureKind =
  /** The credentials or the grant were refused: someone must connect again. */
  | 'rejected'
  /** Stripe could not be reached or failed on its side (network, 5xx, 429): try again later. */
  | 'unavailable'
  /** Stripe understood and refused the request itself (4xx). */
  | 'invalid';

export function classifyStripeError(error: unknown): StripeFailureKind {
  if (
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError ||
    error instanceof Stripe.errors.StripeOAuthError
  ) {
    return 'rejected';
  }
  if (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError
  ) {
    return 'unavailable';
  }
  if (error instanceof Stripe.errors.StripeError) {
    return error.statusCode !== undefined && error.statusCode >= 500 ? 'unavailable' : 'invalid';
  }
  return 'unavailable';
}

/** A message fit for last_error and API answers: Stripe's text, with anything key-like redacted. */
export function stripeErrorMessage(error: unknown): string {
  if (error instanceof Stripe.errors.StripeError) {
    return describeError(new Error(`Stripe ${error.statusCode ?? 'request'}: ${error.message}`)).replace(
      /^Error: /,
      '',
    );
  }
  return describeError(error);
}
