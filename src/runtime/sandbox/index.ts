import type { Logger } from '../../logger.js';
import { type FirstRunCredentials, writeFirstRunFile } from '../first-run.js';
import type { Config } from '../../config.js';
import { portsFree, quickbooksConfigured, type Sandbox, stripeConfigured } from './emulators.js';
import {
  type PreviousSandbox,
  previousSandbox,
  setAsidePreviousSandbox,
  whyNotContinue,
} from './previous.js';
import { connectQuickBooks, connectStripe, demoApi, hasNoData, seedDemoData } from './seed.js';

export { type Sandbox, sandboxWanted, startSandbox } from './emulators.js';
export { setAsidePreviousSandbox } from './previous.js';

export interface SandboxPlan {
  /** The earlier sandbox, to be continued. */
  readonly continued?: PreviousSandbox;
  /** Where the earlier sandbox was moved, and why it could not be continued. */
  readonly setAside?: { readonly movedTo: string; readonly reason: string };
}

/** Before the database opens: continue the earlier sandbox, or set it aside (previous.ts). */
export async function planSandbox(config: Config): Promise<SandboxPlan> {
  const previous = previousSandbox(config.dataDir);
  if (!previous) return {};
  const { app, stripe, quickbooks } = previous.ports;
  const sameAddress = config.port === 0 || config.port === app;
  const free = sameAddress && (await portsFree(config.host, [app, stripe ?? 0, quickbooks ?? 0]));
  const emulating = { stripe: !stripeConfigured(config), quickbooks: !quickbooksConfigured(config) };
  const reason = whyNotContinue(config.dataDir, previous, emulating, free);
  if (reason === undefined) return { continued: previous };
  const movedTo = setAsidePreviousSandbox(config.dataDir);
  return movedTo ? { setAside: { movedTo, reason } } : {};
}

/**
 * Once the app listens, on a new sandbox's database (a continued one has all this already): records the
 * URLs in sandbox.json, then connects the demo tenant to the emulators through the real OAuth flows
 * and fills it with demo data. A failure there is logged, not fatal: the server and the account
 * still work, and the next start begins a new sandbox anyway.
 */
export async function setUpSandbox(
  sandbox: Sandbox,
  credentials: FirstRunCredentials,
  dataDir: string,
  logger: Logger,
): Promise<FirstRunCredentials> {
  const updated: FirstRunCredentials = {
    ...credentials,
    dashboard_url: sandbox.appUrl,
    ...(sandbox.stripe ? { stripe_emulator_url: sandbox.stripe.url } : {}),
    ...(sandbox.quickbooks ? { quickbooks_emulator_url: sandbox.quickbooks.url } : {}),
    sandbox_started_at: new Date().toISOString(),
  };
  // First: a start that stops half-way still leaves this database marked as the sandbox's.
  writeFirstRunFile(dataDir, updated);
  try {
    const api = demoApi(sandbox.appUrl, credentials.api_key);
    if (sandbox.stripe) await connectStripe(api);
    if (sandbox.quickbooks) await connectQuickBooks(api);
    // A business someone already filled (first run with SANDBOX=off) is left as it is.
    if (await hasNoData(api)) {
      const demo = await seedDemoData(api);
      logger.info({ invoice: demo.sentInvoiceId }, 'sandbox: demo business seeded, one invoice sent');
    }
  } catch (error) {
    logger.error({ err: error }, 'sandbox: could not connect or seed the demo business');
  }
  return updated;
}
