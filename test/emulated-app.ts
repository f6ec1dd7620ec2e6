import { randomBytes } from 'node:crypto';
import { type QuickBooksEmulator, startQuickBooksEmulator } from '../emulators/quickbooks/server.js';
import { type StripeEmulator, startStripeEmulator } from '../emulators/stripe/server.js';
import { loadConfig } from '../src/config.js';
import { createQuickBooksIntegration } from '../src/integrations/quickbooks/settings.js';
import { createStripeIntegration } from '../src/integrations/stripe/settings.js';
import type { Logger } from '../src/logger.js';
import { freePort } from '../src/runtime/sandbox/emulators.js';
import { loadSecretBox } from '../src/security/secret-box.js';
import { startTestApi, type TestApi } from './api.js';
import type { TestBackend } from './databases.js';

/** The app listening over real HTTP, configured from the environment as `ledgerbridge start` is. */
export interface EmulatedApp {
  readonly api: TestApi;
  readonly stripe: StripeEmulator;
  readonly quickbooks: QuickBooksEmulator;
  readonly appUrl: string;
  close(): Promise<void>;
}

/**
 * Both emulators (fast webhook retries; QuickBooks' real per-company limits on) and the app pointed
 * at them through the settings a deployment would set, with OAuth redirects and webhooks to the app.
 */
export async function startEmulatedApp(
  backend: TestBackend,
  options: { logger?: Logger } = {},
): Promise<EmulatedApp> {
  const port = await freePort('127.0.0.1');
  const appUrl = `http://127.0.0.1:${port}`;
  const stripe = await startStripeEmulator({
    ratePerSecond: 0,
    webhookRetry: { baseDelayMs: 5, maxAttempts: 6 },
  });
  const quickbooks = await startQuickBooksEmulator({
    port: 0,
    redirectUris: [`${appUrl}/api/v1/integrations/quickbooks/oauth/callback`],
    webhooks: { url: `${appUrl}/webhooks/quickbooks`, batchWindowMs: 5, retryDelaysMs: [20, 50, 100] },
  });
  const config = loadConfig({
    STRIPE_API_BASE: stripe.url,
    STRIPE_CONNECT_BASE: stripe.url,
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_CLIENT_ID: stripe.clientId,
    QUICKBOOKS_API_BASE: quickbooks.url,
    QUICKBOOKS_OAUTH_BASE: quickbooks.url,
    QUICKBOOKS_CLIENT_ID: quickbooks.clientId,
    QUICKBOOKS_CLIENT_SECRET: quickbooks.clientSecret,
    QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN: quickbooks.verifierToken,
    PUBLIC_URL: appUrl,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  });
  const secrets = loadSecretBox(config);
  const api = await startTestApi(backend, {
    stripe: createStripeIntegration(config, secrets).settings,
    quickbooks: createQuickBooksIntegration(config, secrets).settings,
    secrets,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await api.app.listen({ host: '127.0.0.1', port });
  return {
    api,
    stripe,
    quickbooks,
    appUrl,
    async close() {
      await api.close();
      await quickbooks.close();
      await stripe.close();
    },
  };
}
