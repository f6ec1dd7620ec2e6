import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { acquireDataDirLock } from '../data-dir-lock.js';
import { FIRST_RUN_FILE, type FirstRunCredentials } from '../first-run.js';

/**
 * The emulators keep their state in memory, so a sandbox lives as long as the process that ran it:
 * its services, customers and invoices are linked to a Stripe account and a QuickBooks company that
 * the next start no longer has (and ledgerbridge rightly refuses to push them to another one). So a
 * start that finds an earlier sandbox moves its database aside, nothing deleted, and begins afresh.
 * Only a data directory a sandbox ran on (sandbox.json records it) is ever moved.
 *
 * Answers where the earlier sandbox now is, or undefined when there was none.
 */
export function setAsidePreviousSandbox(dataDir: string, now = new Date()): string | undefined {
  const file = join(dataDir, FIRST_RUN_FILE);
  const database = join(dataDir, 'pglite');
  if (!existsSync(file) || !existsSync(database)) return undefined;
  const previous = JSON.parse(readFileSync(file, 'utf8')) as FirstRunCredentials;
  if (previous.sandbox_started_at === undefined) return undefined;
  // Another process running on this directory makes this throw, as opening the database would.
  const lock = acquireDataDirLock(dataDir);
  try {
    const aside = join(dataDir, `previous-sandbox-${now.toISOString().replaceAll(':', '-')}`);
    mkdirSync(aside, { mode: 0o700 });
    renameSync(database, join(aside, 'pglite'));
    renameSync(file, join(aside, FIRST_RUN_FILE));
    return aside;
  } finally {
    lock.release();
  }
}
