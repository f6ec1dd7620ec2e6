import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';
import { startStripeOAuthPeer, type StripeOAuthPeer } from '../../../test/stripe-oauth-peer.js';
import { credentialContext, getLiveConnection } from '../../store/repositories/integration-connections.js';
import { openCredentials } from './client.js';

const BASE = '/api/v1/integrations/stripe';
const PUBLIC_URL = 'https://books.example.test';

/** Stripe Connect OAuth: state bound to the principal, code exchange, deauthorization on disconnect. */
describe.each(backends)('Stripe Connect OAuth on $name', (backend) => {
  let api: TestApi;
  let peer: StripeOAuthPeer;
  beforeAll(async () => {
    peer = await startStripeOAuthPeer();
    api = await startTestApi(backend, {
      stripe: {
        apiBase: peer.url,
        connectBase: peer.url,
        platformSecretKey: peer.platformKey,
        clientId: peer.clientId,
        publicUrl: PUBLIC_URL,
      },
    });
  });
  afterAll(async () => {
    await api.close();
    await peer.close();
  });

  const start = async (tenant: TestTenant): Promise<string> => {
    const response = await tenant.request('POST', `${BASE}/oauth/start`, {});
    expect(response.statusCode, response.body).toBe(200);
    const url = new URL(response.json().authorize_url as string);
    return url.searchParams.get('state') ?? '';
  };
  const callback = (tenant: TestTenant, query: Record<string, string>) =>
    tenant.request('GET', `${BASE}/oauth/callback?${new URLSearchParams(query).toString()}`);

  it('start gives an authorize URL on the connect base with a single-use state', async () => {
    const tenant = await api.tenant('owner');
    const response = await tenant.request('POST', `${BASE}/oauth/start`, {});
    const url = new URL(response.json().authorize_url as string);
    expect(`${url.origin}${url.pathname}`).toBe(`${peer.url}/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: peer.clientId,
      scope: 'read_write',
      redirect_uri: `${PUBLIC_URL}${BASE}/oauth/callback`,
    });
    const state = url.searchParams.get('state') ?? '';
    expect(state.length).toBeGreaterThanOrEqual(40);
    const [stored] = await api.db.query<{ state_hash: string; actor: string; minutes: number }>(
      `SELECT state_hash, actor, round(extract(epoch FROM expires_at - created_at) / 60)::int AS minutes
       FROM oauth_states WHERE tenant_id = $1`,
      [tenant.tenantId],
    );
    expect(stored?.state_hash).not.toContain(state);
    expect(stored?.actor).toMatch(/^api_key:key_/);
    expect(stored?.minutes).toBe(10);
  });

  it('exchanges the code with the platform key, stores the account and encrypted tokens', async () => {
    const tenant = await api.tenant('owner');
    const state = await start(tenant);
    const seen = peer.requests.length;
    const response = await callback(tenant, {
      state,
      code: peer.issueCode('acct_oauth1'),
      scope: 'read_write',
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      connected: true,
      method: 'oauth',
      account_id: 'acct_oauth1',
      webhook_endpoint_registered: true,
    });
    const [token, endpoint] = peer.requests.slice(seen);
    expect(token).toMatchObject({
      method: 'POST',
      path: '/oauth/token',
      form: { grant_type: 'authorization_code', code: expect.stringMatching(/^ac_/) },
    });
    expect(token?.headers.authorization).toBe(`Bearer ${peer.platformKey}`);
    // Requests on the connected account: the platform key plus Stripe-Account.
    expect(endpoint).toMatchObject({ method: 'POST', path: '/v1/webhook_endpoints' });
    expect(endpoint?.headers['stripe-account']).toBe('acct_oauth1');
    expect(endpoint?.headers.authorization).toBe(`Bearer ${peer.platformKey}`);

    const connection = await getLiveConnection(api.db, tenant.tenantId, 'stripe');
    if (!connection) throw new Error('no connection stored');
    const credentials = openCredentials(api.stripe, connection);
    expect(credentials).toMatchObject({
      kind: 'oauth',
      access_token: expect.stringMatching(/^sk_test_oauth/),
    });
    expect(connection.credentials).not.toContain(
      credentials.kind === 'oauth' ? credentials.access_token : '',
    );
    expect(() =>
      api.stripe.secrets.decrypt(
        connection.credentials ?? '',
        credentialContext(connection, 'webhook_secret'),
      ),
    ).toThrow();

    // The state was used up.
    const reused = await callback(tenant, { state, code: peer.issueCode('acct_oauth1') });
    expect(reused.statusCode).toBe(400);
    expect(reused.json().error.code).toBe('invalid_oauth_state');
  });

  it('refuses a state started by another principal, another tenant, or that expired', async () => {
    const tenant = await api.tenant('owner');
    const state = await start(tenant);
    const tokenCalls = () => peer.requests.filter((r) => r.path === '/oauth/token').length;
    const before = tokenCalls();
    const sameTenantOtherKey = await tenant.keyFor('owner');
    const other = await api.app.inject({
      method: 'GET',
      url: `${BASE}/oauth/callback?state=${state}&code=${peer.issueCode('acct_stolen')}`,
      headers: { authorization: `Bearer ${sameTenantOtherKey}` },
    });
    expect(other.statusCode).toBe(400);
    const otherTenant = await api.tenant('owner');
    expect((await callback(otherTenant, { state, code: peer.issueCode('acct_stolen') })).statusCode).toBe(
      400,
    );
    // Refused before any code reached Stripe.
    expect(tokenCalls()).toBe(before);
    // Neither attempt burnt the rightful owner's state.
    expect((await callback(tenant, { state, code: peer.issueCode('acct_owner') })).statusCode).toBe(201);

    const late = await api.tenant('owner');
    const expired = await start(late);
    await api.db.query(
      "UPDATE oauth_states SET created_at = now() - interval '11 minutes', expires_at = now() - interval '1 minute' WHERE tenant_id = $1",
      [late.tenantId],
    );
    expect((await callback(late, { state: expired, code: peer.issueCode('acct_late') })).statusCode).toBe(
      400,
    );
    expect((await callback(late, { state: 'made-up', code: peer.issueCode('acct_late') })).statusCode).toBe(
      400,
    );
    expect(await getLiveConnection(api.db, late.tenantId, 'stripe')).toBeUndefined();
  });

  it('a denied authorization or a bad code stores nothing', async () => {
    const tenant = await api.tenant('owner');
    const denied = await callback(tenant, {
      state: await start(tenant),
      error: 'access_denied',
      error_description: 'The user denied your request',
    });
    expect(denied.statusCode).toBe(400);
    expect(denied.json().error).toMatchObject({ code: 'oauth_denied' });
    const badCode = await callback(tenant, { state: await start(tenant), code: 'ac_never_issued' });
    expect(badCode.statusCode).toBe(400);
    expect(badCode.json().error.code).toBe('oauth_exchange_failed');
    expect(await getLiveConnection(api.db, tenant.tenantId, 'stripe')).toBeUndefined();
  });

  it('disconnect deauthorizes with client_id and stripe_user_id, then keeps the row without tokens', async () => {
    const tenant = await api.tenant('owner');
    await callback(tenant, { state: await start(tenant), code: peer.issueCode('acct_leaving') });
    expect(peer.connected.has('acct_leaving')).toBe(true);
    const seen = peer.requests.length;
    const response = await tenant.request('DELETE', BASE);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ status: 'disconnected', connected: false });
    const calls = peer.requests.slice(seen);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      expect.stringMatching(/^DELETE \/v1\/webhook_endpoints\/we_/),
      'POST /oauth/deauthorize',
    ]);
    expect(calls[1]?.form).toEqual({ client_id: peer.clientId, stripe_user_id: 'acct_leaving' });
    expect(calls[1]?.headers.authorization).toBe(`Bearer ${peer.platformKey}`);
    expect(peer.connected.has('acct_leaving')).toBe(false);
    const [row] = await api.db.query(
      'SELECT credentials, status FROM integration_connections WHERE tenant_id = $1',
      [tenant.tenantId],
    );
    expect(row).toEqual({ credentials: null, status: 'disconnected' });
  });

  it('without a Connect client id, OAuth is unavailable and says what to set', async () => {
    const bare = await startTestApi(backend, { stripe: { apiBase: peer.url, connectBase: peer.url } });
    try {
      const tenant = await bare.tenant('owner');
      const response = await tenant.request('POST', `${BASE}/oauth/start`, {});
      expect(response.statusCode).toBe(503);
      expect(response.json().error.message).toContain('STRIPE_CLIENT_ID');
      expect((await tenant.request('GET', BASE)).json().oauth_available).toBe(false);
    } finally {
      await bare.close();
    }
  });
});
