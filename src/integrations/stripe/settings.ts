import type { Config } from '../../config.js';
import { SecretBox } from '../../security/secret-box.js';

/** The platform-level Stripe settings (docs/configuration.md), as the integration uses them. */
export interface StripeSettings {
  /** `https://api.stripe.com`, or an emulator. */
  readonly apiBase: string;
  /** `https://connect.stripe.com`: OAuth authorize, token and deauthorize. */
  readonly connectBase: string;
  /** The platform's secret key, for Connect: token exchange and requests on connected accounts. */
  readonly platformSecretKey: string | undefined;
  /** The platform's Connect client id (ca_…). */
  readonly clientId: string | undefined;
  /** Secrets of the platform's own webhook endpoint (several while rotating). */
  readonly webhookSecrets: readonly string[];
  /** Where Stripe reaches us; set, connecting registers a webhook endpoint at `${publicUrl}/webhooks/stripe`. */
  readonly publicUrl: string | undefined;
  readonly timeoutMs: number;
}

export interface StripeIntegration {
  readonly settings: StripeSettings;
  /** Encrypts credentials and webhook secrets at rest. */
  readonly secrets: SecretBox;
  /** Wall-clock milliseconds, for the signature tolerance; tests pin it. */
  readonly now: () => number;
}

export const STRIPE_TIMEOUT_MS = 20_000;

export function stripeSettingsFromConfig(config: Config): StripeSettings {
  return {
    apiBase: config.stripeApiBase,
    connectBase: config.stripeConnectBase,
    platformSecretKey: config.stripeSecretKey,
    clientId: config.stripeClientId,
    webhookSecrets: config.stripeWebhookSecrets,
    publicUrl: config.publicUrl,
    timeoutMs: STRIPE_TIMEOUT_MS,
  };
}

export function createStripeIntegration(config: Config, secrets: SecretBox): StripeIntegration {
  return { settings: stripeSettingsFromConfig(config), secrets, now: Date.now };
}

/**
 * What an app built without integration settings gets: real Stripe, nothing configured, and no
 * encryption key, so connecting refuses to store anything. For callers that never connect (benchmarks,
 * the logging test); `ledgerbridge start` always passes the configured integration.
 */
export function unconfiguredStripeIntegration(): StripeIntegration {
  return {
    settings: {
      apiBase: 'https://api.stripe.com',
      connectBase: 'https://connect.stripe.com',
      platformSecretKey: undefined,
      clientId: undefined,
      webhookSecrets: [],
      publicUrl: undefined,
      timeoutMs: STRIPE_TIMEOUT_MS,
    },
    secrets: new SecretBox([], 'This app was built without integration settings (no encryption key)'),
    now: Date.now,
  };
}
