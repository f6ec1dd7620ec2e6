import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestTenant } from '../../../../test/api.js';
import { backends } from '../../../../test/databases.js';
import { refreshAccessToken } from '../client/oauth-tokens.js';
import {
  authorizeOnQuickBooks,
  connectQuickBooks,
  type QboHarness,
  startQboHarness,
  storedTokens,
} from './test-harness.js';

const START = '/api/v1/integrations/quickbooks/oauth/start';
const STATUS = '/api/v1/integrations/quickbooks';

describe.each(backends)('QuickBooks OAuth on $name', (backend) => {
  let h: QboHarness;
  beforeAll(async () => {
    h = await startQboHarness(backend, { companies: 10 });
  });
  afterAll(async () => {
    await h.close();
  });

  /** A tenant with its own emulator company, so tests do not share a realm. */
  let realmCursor = 0;
  const realm = () => {
    const realmId = h.emulator.realmIds[realmCursor++ % h.emulator.realmIds.length];
    if (realmId === undefined) throw new Error('the emulator has no company');
    return realmId;
  };
  const startFor = async (tenant: TestTenant) =>
    (await tenant.request('POST', START)).json<{ authorize_url: string }>().authorize_url;

  it('connects end to end: consent on Intuit’s page, code exchanged, company named, defaults set', async () => {
    const tenant = await h.api.tenant();
    const realmId = realm();
    const authorizeUrl = new URL(await startFor(tenant));
    expect(authorizeUrl.pathname).toBe('/connect/oauth2');
    expect(authorizeUrl.searchParams.get('scope')).toBe('com.intuit.quickbooks.accounting');
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(
      'https://books.example.test/api/v1/integrations/quickbooks/oauth/callback',
    );
    const back = await authorizeOnQuickBooks(authorizeUrl.toString(), { realmId });
    expect(back.searchParams.get('realmId')).toBe(realmId);
    const callback = await tenant.request('GET', `${back.pathname}${back.search}`);
    expect(callback.statusCode, callback.body).toBe(201);
    const status = (await tenant.request('GET', STATUS)).json();
    expect(status).toMatchObject({
      object: 'quickbooks_connection',
      connected: true,
      status: 'connected',
      realm_id: realmId,
      needs_reauth: false,
      reauth_reason: null,
      last_error: null,
      connected_by: expect.stringMatching(/^api_key:/),
      settings: {
        contacts_import: true,
        invoices_push: true,
        invoice_scope: 'new_only',
        create_deposits: false,
      },
    });
    expect(status.company_name).toEqual(expect.any(String));
    expect(status.company_name.length).toBeGreaterThan(0);
    expect(status.last_verified_at).not.toBeNull();
  });

  it('keeps tokens encrypted at rest: no token text anywhere in the connection tables', async () => {
    const tenant = await h.api.tenant();
    expect((await connectQuickBooks(tenant, { realmId: realm() })).statusCode).toBe(201);
    const tokens = await storedTokens(h.api.db, h.quickbooks, tenant.tenantId);
    expect(tokens.access_token.length).toBeGreaterThan(20);
    const dump = JSON.stringify([
      await h.api.db.query('SELECT * FROM integration_connections WHERE tenant_id = $1', [tenant.tenantId]),
      await h.api.db.query('SELECT * FROM quickbooks_companies WHERE tenant_id = $1', [tenant.tenantId]),
      await h.api.db.query('SELECT * FROM oauth_states WHERE tenant_id = $1', [tenant.tenantId]),
      await h.api.db.query('SELECT * FROM jobs WHERE tenant_id = $1', [tenant.tenantId]),
    ]);
    expect(dump).not.toContain(tokens.access_token);
    expect(dump).not.toContain(tokens.refresh_token);
    const status = (await tenant.request('GET', STATUS)).body;
    expect(status).not.toContain(tokens.access_token);
    expect(status).not.toContain(tokens.refresh_token);
  });

  it('binds the state to the principal who started, uses it once, and refuses a forged one', async () => {
    const tenant = await h.api.tenant();
    const adminKey = await tenant.keyFor('admin');
    const asAdmin = (method: string, url: string) =>
      h.api.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${adminKey}` } });
    const back = await authorizeOnQuickBooks(await startFor(tenant), { realmId: realm() });
    const callbackUrl = `${back.pathname}${back.search}`;

    const stolen = await asAdmin('GET', callbackUrl);
    expect([stolen.statusCode, stolen.json().error.code]).toEqual([400, 'invalid_oauth_state']);
    const otherTenant = await h.api.tenant();
    expect((await otherTenant.request('GET', callbackUrl)).json().error.code).toBe('invalid_oauth_state');

    // Refused attempts by others did not burn the owner's state.
    expect((await tenant.request('GET', callbackUrl)).statusCode).toBe(201);
    const replay = await tenant.request('GET', callbackUrl);
    expect([replay.statusCode, replay.json().error.code]).toEqual([400, 'invalid_oauth_state']);

    const forged = new URL(callbackUrl, 'http://x');
    forged.searchParams.set('state', 'forged-state-value');
    const other = await h.api.tenant();
    const forgedAnswer = await other.request('GET', `${forged.pathname}${forged.search}`);
    expect([forgedAnswer.statusCode, forgedAnswer.json().error.code]).toEqual([400, 'invalid_oauth_state']);
    expect((await other.request('GET', STATUS)).json().connected).toBe(false);
  });

  it('answers a cancelled consent with oauth_denied and stores nothing', async () => {
    const tenant = await h.api.tenant();
    const back = await authorizeOnQuickBooks(await startFor(tenant), { cancel: true });
    expect(back.searchParams.get('error')).toBe('access_denied');
    const answer = await tenant.request('GET', `${back.pathname}${back.search}`);
    expect([answer.statusCode, answer.json().error.code]).toEqual([400, 'oauth_denied']);
    expect((await tenant.request('GET', STATUS)).json()).toMatchObject({ connected: false, status: null });
  });

  it('refuses a second connect while connected, and the same company for another tenant', async () => {
    const tenant = await h.api.tenant();
    const realmId = realm();
    expect((await connectQuickBooks(tenant, { realmId })).statusCode).toBe(201);
    const again = await tenant.request('POST', START);
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'already_connected']);
    const other = await h.api.tenant();
    const taken = await connectQuickBooks(other, { realmId });
    expect([taken.statusCode, taken.json().error.code]).toEqual([409, 'already_connected']);
  });

  it('disconnects: revokes at Intuit (the tokens stop working), wipes them, keeps the history', async () => {
    const tenant = await h.api.tenant();
    const realmId = realm();
    expect((await connectQuickBooks(tenant, { realmId })).statusCode).toBe(201);
    const tokens = await storedTokens(h.api.db, h.quickbooks, tenant.tenantId);
    const answer = await tenant.request('DELETE', STATUS);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toMatchObject({
      status: 'disconnected',
      connected: false,
      revoked: true,
      revoke_error: null,
      realm_id: realmId,
    });
    expect(h.emulator.oauth.verifyAccessToken(tokens.access_token)).toEqual({ error: 'invalid' });
    await expect(refreshAccessToken(h.quickbooks.settings, tokens.refresh_token)).rejects.toMatchObject({
      code: 'invalid_grant',
    });
    const [row] = await h.api.db.query<{ credentials: string | null; disconnected_by: string }>(
      "SELECT credentials, disconnected_by FROM integration_connections WHERE tenant_id = $1 AND provider = 'quickbooks'",
      [tenant.tenantId],
    );
    expect(row).toMatchObject({ credentials: null, disconnected_by: expect.stringMatching(/^api_key:/) });
    expect((await tenant.request('GET', STATUS)).json()).toMatchObject({
      status: 'disconnected',
      connected: false,
    });
    // Connecting again afterwards is a new connection.
    expect((await connectQuickBooks(tenant, { realmId })).statusCode).toBe(201);
  });

  it('disconnects locally even when Intuit cannot be reached, and says so', async () => {
    const h2 = await startQboHarness(backend);
    try {
      const tenant = await h2.api.tenant();
      expect((await connectQuickBooks(tenant)).statusCode).toBe(201);
      await h2.emulator.close();
      const answer = await tenant.request('DELETE', STATUS);
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ status: 'disconnected', connected: false, revoked: false });
      expect(answer.json().revoke_error).toMatch(/could not be reached/);
      expect(answer.json().last_error).toMatch(/revoking at Intuit failed/);
      const [row] = await h2.api.db.query<{ credentials: string | null }>(
        'SELECT credentials FROM integration_connections WHERE tenant_id = $1',
        [tenant.tenantId],
      );
      expect(row?.credentials).toBeNull();
    } finally {
      await h2.api.close();
    }
  });

  it('lets only owners and admins manage the connection; viewers read status', async () => {
    const tenant = await h.api.tenant();
    const viewerKey = await tenant.keyFor('viewer');
    const asViewer = (method: string, url: string) =>
      h.api.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${viewerKey}` } });
    expect((await asViewer('GET', STATUS)).statusCode).toBe(200);
    for (const [method, url] of [
      ['POST', START],
      ['GET', '/api/v1/integrations/quickbooks/oauth/callback?state=x&code=y&realmId=1'],
      ['POST', '/api/v1/integrations/quickbooks/verify'],
      ['DELETE', STATUS],
      ['PATCH', '/api/v1/integrations/quickbooks/settings'],
      ['GET', '/api/v1/integrations/quickbooks/accounts?type=Bank'],
      ['GET', '/api/v1/integrations/quickbooks/tax-codes'],
    ] as const) {
      expect((await asViewer(method, url)).statusCode, `${method} ${url}`).toBe(403);
    }
    const admin = await tenant.keyFor('admin');
    const asAdmin = (method: string, url: string) =>
      h.api.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${admin}` } });
    expect((await connectQuickBooks(tenant, { realmId: realm(), as: asAdmin })).statusCode).toBe(201);
  });

  it('shows another tenant nothing of the connection, and 404 on what needs one', async () => {
    const tenant = await h.api.tenant();
    expect((await connectQuickBooks(tenant, { realmId: realm() })).statusCode).toBe(201);
    const other = await h.api.tenant();
    expect((await other.request('GET', STATUS)).json()).toMatchObject({
      connected: false,
      id: null,
      realm_id: null,
    });
    for (const [method, url] of [
      ['POST', '/api/v1/integrations/quickbooks/verify'],
      ['DELETE', STATUS],
      ['GET', '/api/v1/integrations/quickbooks/settings'],
      ['GET', '/api/v1/integrations/quickbooks/accounts?type=Bank'],
    ] as const) {
      const answer = await other.request(method, url);
      expect([answer.statusCode, answer.json().error.code], `${method} ${url}`).toEqual([
        404,
        'not_connected',
      ]);
    }
    expect((await tenant.request('GET', STATUS)).json().connected).toBe(true);
  });

  it('needs the app configured', async () => {
    const bare = await startTestApi(backend);
    try {
      const tenant = await bare.tenant();
      const answer = await tenant.request('POST', START);
      expect([answer.statusCode, answer.json().error.code]).toEqual([503, 'quickbooks_not_configured']);
      expect((await tenant.request('GET', STATUS)).json()).toMatchObject({
        connected: false,
        oauth_available: false,
      });
    } finally {
      await bare.close();
    }
  });
});
