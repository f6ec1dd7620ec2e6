import { createServer } from 'node:net';
import type { QuickBooksEmulatorSnapshot } from '../../../emulators/quickbooks/snapshot.js';
import { type QuickBooksEmulator, startQuickBooksEmulator } from '../../../emulators/quickbooks/server.js';
import type { StripeEmulatorSnapshot } from '../../../emulators/stripe/snapshot.js';
import { type StripeEmulator, startStripeEmulator } from '../../../emulators/stripe/server.js';
import type { Config } from '../../config.js';
import { emulatorStateWriter, readEmulatorState, type StateWriter } from './persist.js';
import type { PreviousSandbox } from './previous.js';

/**
 * The sandbox: with the embedded database and no Stripe or QuickBooks credentials, `ledgerbridge
 * start` runs the emulators in this process and points the integrations at them, so the real code
 * paths (OAuth, API calls, webhooks) run end to end with nothing to set up. Each integration is
 * emulated only when its own credentials are missing: configure real Stripe and it is real Stripe.
 */

/** The emulators' ports when free (else any free port); with PORT=0 every port is picked freely. */
export const SANDBOX_STRIPE_PORT = 4010;
export const SANDBOX_QUICKBOOKS_PORT = 4020;

export interface Sandbox {
  /** The configuration the process runs with: integrations and PUBLIC_URL pointed at the emulators. */
  readonly config: Config;
  readonly stripe: StripeEmulator | undefined;
  readonly quickbooks: QuickBooksEmulator | undefined;
  /** Where the app will listen, as the emulators reach it. */
  readonly appUrl: string;
  /** The earlier sandbox this one continues (its emulators restored), if any. */
  readonly continued: PreviousSandbox | undefined;
  close(): Promise<void>;
}

export function sandboxWanted(config: Config): boolean {
  if (!config.sandbox || config.databaseUrl) return false;
  return !stripeConfigured(config) || !quickbooksConfigured(config);
}

export const stripeConfigured = (config: Config) => Boolean(config.stripeSecretKey || config.stripeClientId);
export const quickbooksConfigured = (config: Config) => Boolean(config.quickbooksClientId);

/**
 * Starts the emulators; with `continued`, on the earlier sandbox's ports and from their saved state.
 * Either way every change they make is saved (persist.ts), so the next start can continue this one.
 */
export async function startSandbox(config: Config, continued?: PreviousSandbox): Promise<Sandbox> {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const anyPort = config.port === 0;
  // The emulators must know where the app is (OAuth redirects, webhooks) before it listens.
  const appPort = continued?.ports.app ?? (anyPort ? await freePort(config.host) : config.port);
  const appUrl = `http://${host}:${appPort}`;
  const publicUrl = config.publicUrl ?? appUrl;
  const emulatorPort = async (name: 'stripe' | 'quickbooks', preferred: number) =>
    continued?.ports[name] ?? (anyPort ? 0 : await portIfFree(config.host, preferred));
  let stripe: StripeEmulator | undefined;
  let quickbooks: QuickBooksEmulator | undefined;
  const writers: StateWriter[] = [];
  try {
    if (!stripeConfigured(config)) {
      const restore = continued && (readEmulatorState(config.dataDir, 'stripe') as StripeEmulatorSnapshot);
      // Written only after a change, so only once the emulator exists.
      const writer = emulatorStateWriter(config.dataDir, 'stripe', () => stripe?.snapshot());
      stripe = await startStripeEmulator({
        host: config.host,
        port: await emulatorPort('stripe', SANDBOX_STRIPE_PORT),
        ...(restore ? { restore } : {}),
        onChange: () => writer.changed(),
      });
      writers.push(writer);
    }
    if (!quickbooksConfigured(config)) {
      const restore =
        continued && (readEmulatorState(config.dataDir, 'quickbooks') as QuickBooksEmulatorSnapshot);
      const writer = emulatorStateWriter(config.dataDir, 'quickbooks', () => quickbooks?.snapshot());
      quickbooks = await startQuickBooksEmulator({
        host: config.host,
        port: await emulatorPort('quickbooks', SANDBOX_QUICKBOOKS_PORT),
        webhooks: { url: `${publicUrl}/webhooks/quickbooks` },
        ...(restore ? { restore } : {}),
        onChange: () => writer.changed(),
      });
      writers.push(writer);
    }
  } catch (error) {
    await stripe?.close();
    throw error;
  }
  // Saved once at once: a sandbox stopped before any change can still be continued.
  for (const writer of writers) {
    writer.changed();
    writer.flush();
  }
  const effective: Config = {
    ...config,
    port: appPort,
    publicUrl,
    ...(stripe
      ? {
          stripeApiBase: stripe.url,
          stripeConnectBase: stripe.url,
          stripeSecretKey: stripe.secretKey,
          stripeClientId: stripe.clientId,
        }
      : {}),
    ...(quickbooks
      ? {
          quickbooksApiBase: quickbooks.url,
          quickbooksOAuthBase: quickbooks.url,
          quickbooksClientId: quickbooks.clientId,
          quickbooksClientSecret: quickbooks.clientSecret,
          quickbooksWebhookVerifierTokens: [quickbooks.verifierToken],
        }
      : {}),
  };
  return {
    config: effective,
    stripe,
    quickbooks,
    appUrl,
    continued,
    async close() {
      await Promise.all([stripe?.close(), quickbooks?.close()]);
      for (const writer of writers) writer.flush();
    },
  };
}

/** Whether every port can be listened on now (0 always can). */
export async function portsFree(host: string, ports: readonly number[]): Promise<boolean> {
  for (const port of ports) if (port !== 0 && !(await canListen(host, port))) return false;
  return true;
}

async function portIfFree(host: string, port: number): Promise<number> {
  return (await canListen(host, port)) ? port : 0;
}

/** A port nothing listens on right now, for a server that must be named before it listens. */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not pick a free port');
  return address.port;
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
