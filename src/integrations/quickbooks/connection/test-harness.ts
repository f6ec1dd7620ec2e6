import type { LightMyRequestResponse } from 'fastify';
import {
  type QuickBooksEmulator,
  type QuickBooksEmulatorOptions,
  startQuickBooksEmulator,
} from '../../../../emulators/quickbooks/server.js';
import { startTestApi, type TestApi, type TestTenant } from '../../../../test/api.js';
import type { TestBackend } from '../../../../test/databases.js';
import type { Db } from '../../../store/db.js';
import { getLiveConnection } from '../../../store/repositories/integration-connections.js';
import { oauthEndpointsAt } from '../settings.js';
import type { QuickBooksIntegration } from '../types.js';
import { openCredentials, type QboCredentials } from './credentials.js';

/**
 * ledgerbridge's API and the QuickBooks Online emulator, both over real HTTP, wired as production
 * wires them (QUICKBOOKS_API_BASE and QUICKBOOKS_OAUTH_BASE at the emulator), sharing one clock: the
 * emulator's, which tests advance to make tokens age.
 */

export type { QuickBooksEmulator };
/** The emulator's options (other test harnesses import this name). */
export type EmulatorOptions = QuickBooksEmulatorOptions;

export interface QboHarness {
  readonly api: TestApi;
  readonly emulator: QuickBooksEmulator;
  /** What the API was built with; `integration()` makes another, as a second process would. */
  readonly quickbooks: QuickBooksIntegration;
  integration(): QuickBooksIntegration;
  close(): Promise<void>;
}

export const PUBLIC_URL = 'https://books.example.test';

export async function startQboHarness(
  backend: TestBackend,
  options: QuickBooksEmulatorOptions = {},
): Promise<QboHarness> {
  const emulator = await startQuickBooksEmulator({
    port: 0,
    redirectUris: [`${PUBLIC_URL}/api/v1/integrations/quickbooks/oauth/callback`],
    ...options,
  });
  const api = await startTestApi(backend, {
    now: () => emulator.clock.now(),
    quickbooks: {
      apiBase: emulator.url,
      ...oauthEndpointsAt(emulator.url),
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      webhookVerifierTokens: [emulator.verifierToken],
      publicUrl: PUBLIC_URL,
      timeoutMs: 10_000,
    },
  });
  return {
    api,
    emulator,
    quickbooks: api.quickbooks,
    integration: () => ({ ...api.quickbooks }),
    async close() {
      await api.close();
      await emulator.close();
    },
  };
}

/**
 * A person's browser on the emulator's consent page: opens `authorizeUrl`, picks the company (the
 * first one unless told) and presses Connect, or Cancel. Answers the redirect back to us, unfollowed.
 */
export async function authorizeOnQuickBooks(
  authorizeUrl: string,
  options: { realmId?: string; cancel?: boolean } = {},
): Promise<URL> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`the consent page answered ${page.status}: ${html}`);
  const action = /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(html)?.[1];
  const request = /<input[^>]*name="request"[^>]*value="([^"]*)"/i.exec(html)?.[1];
  const realms = [...html.matchAll(/<input[^>]*type="radio"[^>]*name="realmId"[^>]*value="([^"]*)"/gi)].map(
    (m) => m[1],
  );
  if (!action || request === undefined) throw new Error('no consent form on the page');
  const realmId = options.realmId ?? realms[0];
  if (!options.cancel && (realmId === undefined || !realms.includes(realmId))) {
    throw new Error(`company ${String(realmId)} is not offered (offered: ${realms.join(', ')})`);
  }
  const fields: Record<string, string> = { request, action: options.cancel ? 'cancel' : 'connect' };
  if (realmId !== undefined) fields.realmId = realmId;
  const redirect = await fetch(new URL(action, authorizeUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const location = redirect.headers.get('location');
  if (redirect.status !== 302 || !location) {
    throw new Error(`the consent answered ${redirect.status} without a redirect: ${await redirect.text()}`);
  }
  return new URL(location);
}

/** Starts OAuth as `tenant`, consents on the emulator, and follows the redirect into our callback. */
export async function connectQuickBooks(
  tenant: TestTenant,
  options: { realmId?: string; as?: (method: string, url: string) => Promise<LightMyRequestResponse> } = {},
): Promise<LightMyRequestResponse> {
  const call = options.as ?? tenant.request;
  const start = await call('POST', '/api/v1/integrations/quickbooks/oauth/start');
  if (start.statusCode !== 200) throw new Error(`oauth/start answered ${start.statusCode}: ${start.body}`);
  const back = await authorizeOnQuickBooks(start.json<{ authorize_url: string }>().authorize_url, options);
  return call('GET', `${back.pathname}${back.search}`);
}

/** The tokens stored for the tenant's live connection, decrypted (tests only). */
export async function storedTokens(
  db: Db,
  integration: QuickBooksIntegration,
  tenantId: string,
): Promise<QboCredentials> {
  const connection = await getLiveConnection(db, tenantId, 'quickbooks');
  if (!connection) throw new Error(`tenant ${tenantId} has no live QuickBooks connection`);
  return openCredentials(integration, connection);
}
