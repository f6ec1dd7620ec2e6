import type { Logger } from '../../logger.js';
import { type FirstRunCredentials, writeFirstRunFile } from '../first-run.js';
import type { Sandbox } from './emulators.js';
import { connectQuickBooks, connectStripe, demoApi, hasNoData, seedDemoData } from './seed.js';

export { type Sandbox, sandboxWanted, startSandbox } from './emulators.js';
export { setAsidePreviousSandbox } from './previous.js';

/**
 * Once the app listens, on a fresh database (previous.ts says why every start is one): records the
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
