import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiKey, createTenant, createUser } from '../access/repository.js';
import { randomToken } from '../access/secrets.js';
import type { Db } from '../store/db.js';

/**
 * What a fresh embedded install needs to be usable at once: a tenant, an owner who can sign in and an
 * API key. Created only when the embedded database has no tenant at all, and written to
 * `<DATA_DIR>/sandbox.json` (mode 0600) — the one place these secrets are kept in clear.
 */
export interface FirstRunCredentials {
  readonly tenant_id: string;
  readonly tenant_name: string;
  readonly owner_email: string;
  readonly owner_password: string;
  readonly api_key: string;
  /** Set by the sandbox (src/runtime/sandbox): where everything runs, and when it began. */
  readonly dashboard_url?: string;
  readonly stripe_emulator_url?: string;
  readonly quickbooks_emulator_url?: string;
  readonly sandbox_started_at?: string;
}

export const FIRST_RUN_FILE = 'sandbox.json';

export async function ensureFirstRunAccount(
  db: Db,
  dataDir: string,
): Promise<FirstRunCredentials | undefined> {
  const path = join(dataDir, FIRST_RUN_FILE);
  const [{ count } = { count: 0 }] = await db.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM tenants',
  );
  if (count > 0) {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as FirstRunCredentials) : undefined;
  }
  const password = randomToken(18);
  const credentials = await db.transaction(async (tx) => {
    const tenant = await createTenant(tx, 'Demo Business');
    const owner = await createUser(tx, {
      tenantId: tenant.id,
      email: 'owner@demo.ledgerbridge.test',
      name: 'Demo Owner',
      role: 'owner',
      password,
    });
    const { secret } = await createApiKey(tx, { tenantId: tenant.id, name: 'first run', role: 'owner' });
    return {
      tenant_id: tenant.id,
      tenant_name: tenant.name,
      owner_email: owner.email,
      owner_password: password,
      api_key: secret,
    };
  });
  writeFirstRunFile(dataDir, credentials);
  return credentials;
}

/** (Re)writes `<DATA_DIR>/sandbox.json`, owner-only: it holds a password and an API key in clear. */
export function writeFirstRunFile(dataDir: string, contents: FirstRunCredentials): void {
  writeFileSync(join(dataDir, FIRST_RUN_FILE), `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
}

export function firstRunBanner(credentials: FirstRunCredentials, url: string, dataDir: string): string {
  return [
    '',
    `ledgerbridge is running at ${url}  (API reference: ${url}/docs)`,
    `  tenant:   ${credentials.tenant_name} (${credentials.tenant_id})`,
    `  sign in:  ${credentials.owner_email} / ${credentials.owner_password}`,
    `  API key:  ${credentials.api_key}`,
    ...(credentials.stripe_emulator_url
      ? [`  Stripe:   emulated at ${credentials.stripe_emulator_url} (test card 4242 4242 4242 4242)`]
      : []),
    ...(credentials.quickbooks_emulator_url
      ? [`  QBO:      emulated at ${credentials.quickbooks_emulator_url}`]
      : []),
    `  (kept in ${join(dataDir, FIRST_RUN_FILE)}; try: curl -H "Authorization: Bearer ${credentials.api_key}" ${url}/api/v1/me)`,
    '',
  ].join('\n');
}
