import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { acquireDataDirLock } from '../data-dir-lock.js';
import { FIRST_RUN_FILE, type FirstRunCredentials } from '../first-run.js';
import { EMULATOR_STATE_DIR, type EmulatorName, hasEmulatorState } from './persist.js';

/**
 * A sandbox's records are linked to an emulated Stripe account and QuickBooks company, and its
 * payment links point at the emulator's address. The emulators save their state next to the
 * database (persist.ts), so the next start continues the same sandbox — same business, keys,
 * invoices and links — when it can bring back everything those records point to: the state of each
 * emulator the sandbox ran, that emulator emulated again (not replaced by real credentials), and the
 * same addresses. When it cannot, the earlier sandbox is moved aside, nothing deleted, and a new one
 * begins: an invoice made in one Stripe account or QuickBooks company is never moved into another.
 */
export interface PreviousSandbox {
  readonly credentials: FirstRunCredentials;
  /** The ports the app and each emulator had, to be taken again. */
  readonly ports: { readonly app: number } & Partial<Record<EmulatorName, number>>;
}

/** The sandbox an earlier start left in DATA_DIR, or undefined when there is none. */
export function previousSandbox(dataDir: string): PreviousSandbox | undefined {
  const file = join(dataDir, FIRST_RUN_FILE);
  if (!existsSync(file) || !existsSync(join(dataDir, 'pglite'))) return undefined;
  const credentials = JSON.parse(readFileSync(file, 'utf8')) as FirstRunCredentials;
  if (credentials.sandbox_started_at === undefined) return undefined;
  const stripe = portOf(credentials.stripe_emulator_url);
  const quickbooks = portOf(credentials.quickbooks_emulator_url);
  return {
    credentials,
    ports: {
      app: portOf(credentials.dashboard_url) ?? 0,
      ...(stripe === undefined ? {} : { stripe }),
      ...(quickbooks === undefined ? {} : { quickbooks }),
    },
  };
}

/**
 * Why the earlier sandbox cannot be continued, or undefined when it can. `emulating` says which
 * services this start emulates; `portsFree` whether the earlier ports can be listened on again.
 */
export function whyNotContinue(
  dataDir: string,
  previous: PreviousSandbox,
  emulating: Readonly<Record<EmulatorName, boolean>>,
  portsFree: boolean,
): string | undefined {
  for (const name of ['stripe', 'quickbooks'] as const) {
    const before = previous.ports[name] !== undefined;
    if (before !== emulating[name]) {
      return `${name} was ${before ? '' : 'not '}emulated before and is ${emulating[name] ? '' : 'not '}now`;
    }
    if (before && !hasEmulatorState(dataDir, name)) return `the ${name} emulator's saved state is missing`;
  }
  if (!portsFree) return 'its addresses are taken by something else';
  return undefined;
}

/**
 * Moves the earlier sandbox (database, sandbox.json, emulator state) into
 * `previous-sandbox-<time>/` and answers where, or undefined when there was none.
 */
export function setAsidePreviousSandbox(dataDir: string, now = new Date()): string | undefined {
  if (!previousSandbox(dataDir)) return undefined;
  // Another process running on this directory makes this throw, as opening the database would.
  const lock = acquireDataDirLock(dataDir);
  try {
    const aside = join(dataDir, `previous-sandbox-${now.toISOString().replaceAll(':', '-')}`);
    mkdirSync(aside, { mode: 0o700 });
    for (const entry of ['pglite', FIRST_RUN_FILE, EMULATOR_STATE_DIR]) {
      if (existsSync(join(dataDir, entry))) renameSync(join(dataDir, entry), join(aside, entry));
    }
    return aside;
  } finally {
    lock.release();
  }
}

function portOf(url: string | undefined): number | undefined {
  if (url === undefined) return undefined;
  const port = Number(new URL(url).port);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}
