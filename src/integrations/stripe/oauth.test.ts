import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeObject } from '../../../emulators/stripe/kernel/state.js';
import { type StripeEmulator, startStripeEmulator } from '../../../emulators/stripe/server.js';
import { endpointInternals } from '../../../emulators/stripe/webhooks/endpoints.js';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';
import { authorizeOnStripe } from '../../../test/stripe-browser.js';
import { startStripeOAuthPeer, type StripeOAuthPeer } from '../../../test/stripe-oauth-peer.js';
import { credentialContext, getLiveConnection } from '../../store/repositories/integration-connections.js';
import { openCredentials } from './client.js';
import { stripeClientFor } from '../../../emulators/stripe/sdk.js';

type WebhookEndpoint = Stripe.WebhookEndpoint & StripeObject;

const BASE = '/api/v1/integrations/stripe';
// Where Stripe would reach us: a closed loopback port, so the emulator's deliveries fail at once.
const PUBLIC_URL = 'http://127.0.0.1:9';

/**
 * Stripe Connect OAuth: state bound to the principal, code exchange, deauthorization on disconnect.
 * Against the Stripe emulator (its authorize page, real codes, real tokens); the small fake peer only
 * where a test checks the exact form fields and headers our client sends.
 */
describe.each(backends)('Stripe Connect OAuth on $name', (backend) => {
  let emulator: StripeEmulator;
  let api: TestApi;
  let peer: StripeOAuthPeer;
  let peerApi: TestApi;
  beforeAll(async () => {
    emulator = await startStripeEmulator({ ratePerSecond: 0, webhookRetry: { maxAttempts: 1 } });
    api = await startTestApi(backend, {
      stripe: {
        apiBase: emulator.url,
        connectBase: emulator.url,
        platformSecretKey: emulator.secretKey,
        clientId: emulator.clientId,
        publicUrl: PUBLIC_URL,
      },
    });
    peer = await startStripeOAuthPeer();
    peerApi = await startTestApi(backend, {
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
    await peerApi.close();
    await peer.close();
    await emulator.close();
  });

  /** The SDK with a given key, against the emulator. */
  const stripeWith = (key: string) => stripeClientFor(emulator.url, key);
  const startUrl = async (tenant: TestTenant): Promise<string> => {
    const response = await tenant.request('POST', `${BASE}/oauth/start`, {});
    expect(response.statusCode, response.body).toBe(200);
    return response.json().authorize_url as string;
  };
  /** Starts as `tenant`, authorizes on the emulator's page: the query Stripe sends the browser back with. */
  const authorized = async (tenant: TestTenant, options: { deny?: boolean } = {}) => {
    const back = await authorizeOnStripe(await startUrl(tenant), options);
    expect(`${back.origin}${back.pathname}`).toBe(`${PUBLIC_URL}${BASE}/oauth/callback`);
    return Object.fromEntries(back.searchParams);
  };
  const callback = (tenant: TestTenant, query: Record<string, string>) =>
    tenant.request('GET', `${BASE}/oauth/callback?${new URLSearchParams(query).toString()}`);

  it('start gives an authorize URL on the connect base with a single-use state', async () => {
    const tenant = await api.tenant('owner');
    const authorizeUrl = await startUrl(tenant);
    const url = new URL(authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${emulator.url}/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: emulator.clientId,
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
    // Stripe accepts it: the page asks to authorize read_write access for our platform.
    const page = await fetch(authorizeUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('id="authorize"');
    expect(html).toContain('read_write');
  });

  it('exchanges the code from the authorize page, stores the account and encrypted tokens, registers the webhook', async () => {
    const tenant = await api.tenant('owner');
    const query = await authorized(tenant);
    expect(query.code).toMatch(/^ac_/);
    const response = await callback(tenant, query);
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json<{ account_id: string }>();
    expect(body).toMatchObject({
      connected: true,
      status: 'connected',
      method: 'oauth',
      account_id: expect.stringMatching(/^acct_/),
      webhook_endpoint_registered: true,
      last_error: null,
    });
    const account = emulator.state.account(body.account_id);
    expect(account?.connectedTo).toBe(emulator.state.platform.id);

    const connection = await getLiveConnection(api.db, tenant.tenantId, 'stripe');
    if (!connection) throw new Error('no connection stored');
    const credentials = openCredentials(api.stripe, connection);
    if (credentials.kind !== 'oauth' || !credentials.access_token) throw new Error('no OAuth token stored');
    expect(connection.credentials).not.toContain(credentials.access_token);
    // The stored token is Stripe's own: it reaches the connected account.
    expect((await stripeWith(credentials.access_token).accounts.retrieveCurrent()).id).toBe(body.account_id);
    expect(() =>
      api.stripe.secrets.decrypt(
        connection.credentials ?? '',
        credentialContext(connection, 'webhook_secret'),
      ),
    ).toThrow();

    // The webhook endpoint was created on the connected account; its secret is kept sealed.
    const endpoints = account?.all<WebhookEndpoint>('webhook_endpoint') ?? [];
    expect(endpoints).toEqual([
      expect.objectContaining({ id: connection.webhookEndpointId, url: `${PUBLIC_URL}/webhooks/stripe` }),
    ]);
    expect(
      api.stripe.secrets.decrypt(
        connection.webhookSecret ?? '',
        credentialContext(connection, 'webhook_secret'),
      ),
    ).toBe(endpoints[0] ? endpointInternals(endpoints[0])?.secret : undefined);

    // The state was used up.
    const reused = await callback(tenant, query);
    expect(reused.statusCode).toBe(400);
    expect(reused.json().error.code).toBe('invalid_oauth_state');
  });

  it('sends the code with the platform key, then registers the endpoint with Stripe-Account', async () => {
    const tenant = await peerApi.tenant('owner');
    const state = new URL(
      (await tenant.request('POST', `${BASE}/oauth/start`, {})).json().authorize_url as string,
    ).searchParams.get('state');
    const seen = peer.requests.length;
    const response = await callback(tenant, {
      state: state ?? '',
      code: peer.issueCode('acct_oauth1'),
      scope: 'read_write',
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ account_id: 'acct_oauth1', webhook_endpoint_registered: true });
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
  });

  it('refuses a state started by another principal, another tenant, or that expired', async () => {
    const tenant = await api.tenant('owner');
    const query = await authorized(tenant);
    const sameTenantOtherKey = await tenant.keyFor('owner');
    const other = await api.app.inject({
      method: 'GET',
      url: `${BASE}/oauth/callback?${new URLSearchParams(query).toString()}`,
      headers: { authorization: `Bearer ${sameTenantOtherKey}` },
    });
    expect(other.statusCode).toBe(400);
    expect(other.json().error.code).toBe('invalid_oauth_state');
    const otherTenant = await api.tenant('owner');
    const stolen = await callback(otherTenant, query);
    expect(stolen.statusCode).toBe(400);
    expect(await getLiveConnection(api.db, otherTenant.tenantId, 'stripe')).toBeUndefined();
    // Neither attempt burnt the rightful owner's state, nor the code: Stripe's codes are single use,
    // so the code still working proves it was refused before reaching Stripe.
    expect((await callback(tenant, query)).statusCode).toBe(201);

    const late = await api.tenant('owner');
    const expired = await authorized(late);
    await api.db.query(
      "UPDATE oauth_states SET created_at = now() - interval '11 minutes', expires_at = now() - interval '1 minute' WHERE tenant_id = $1",
      [late.tenantId],
    );
    expect((await callback(late, expired)).statusCode).toBe(400);
    expect((await callback(late, { ...expired, state: 'made-up' })).statusCode).toBe(400);
    expect(await getLiveConnection(api.db, late.tenantId, 'stripe')).toBeUndefined();
  });

  it('a denied authorization or a bad code stores nothing', async () => {
    const tenant = await api.tenant('owner');
    const deniedQuery = await authorized(tenant, { deny: true });
    expect(deniedQuery).toMatchObject({ error: 'access_denied' });
    const denied = await callback(tenant, deniedQuery);
    expect(denied.statusCode).toBe(400);
    expect(denied.json().error).toMatchObject({ code: 'oauth_denied' });
    const badCode = await callback(tenant, { ...(await authorized(tenant)), code: 'ac_never_issued' });
    expect(badCode.statusCode).toBe(400);
    expect(badCode.json().error.code).toBe('oauth_exchange_failed');
    expect(await getLiveConnection(api.db, tenant.tenantId, 'stripe')).toBeUndefined();
  });

  it('disconnect removes the endpoint and deauthorizes at Stripe, then keeps the row without tokens', async () => {
    const tenant = await api.tenant('owner');
    const connected = await callback(tenant, await authorized(tenant));
    const accountId = connected.json<{ account_id: string }>().account_id;
    const account = emulator.state.account(accountId);
    const connection = await getLiveConnection(api.db, tenant.tenantId, 'stripe');
    if (!connection) throw new Error('no connection stored');
    const credentials = openCredentials(api.stripe, connection);
    const token = credentials.kind === 'oauth' ? (credentials.access_token ?? '') : '';

    const response = await tenant.request('DELETE', BASE);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'disconnected',
      connected: false,
      account_id: accountId,
    });
    expect(account?.connectedTo).toBeUndefined();
    expect(account?.all('webhook_endpoint')).toEqual([]);
    // Our access is gone at Stripe: the token answers 401, the platform key 403 on the account.
    await expect(stripeWith(token).accounts.retrieveCurrent()).rejects.toMatchObject({ statusCode: 401 });
    await expect(
      stripeWith(emulator.secretKey).customers.list({}, { stripeAccount: accountId }),
    ).rejects.toMatchObject({ statusCode: 403 });
    const [row] = await api.db.query(
      'SELECT credentials, webhook_secret, status FROM integration_connections WHERE tenant_id = $1',
      [tenant.tenantId],
    );
    expect(row).toEqual({ credentials: null, webhook_secret: null, status: 'disconnected' });
  });

  it('disconnect sends deauthorize with client_id and stripe_user_id and the platform key', async () => {
    const tenant = await peerApi.tenant('owner');
    const state = new URL(
      (await tenant.request('POST', `${BASE}/oauth/start`, {})).json().authorize_url as string,
    ).searchParams.get('state');
    await callback(tenant, { state: state ?? '', code: peer.issueCode('acct_leaving') });
    expect(peer.connected.has('acct_leaving')).toBe(true);
    const seen = peer.requests.length;
    const response = await tenant.request('DELETE', BASE);
    expect(response.statusCode, response.body).toBe(200);
    const calls = peer.requests.slice(seen);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      expect.stringMatching(/^DELETE \/v1\/webhook_endpoints\/we_/),
      'POST /oauth/deauthorize',
    ]);
    expect(calls[1]?.form).toEqual({ client_id: peer.clientId, stripe_user_id: 'acct_leaving' });
    expect(calls[1]?.headers.authorization).toBe(`Bearer ${peer.platformKey}`);
    expect(peer.connected.has('acct_leaving')).toBe(false);
  });

  it('without a Connect client id, OAuth is unavailable and says what to set', async () => {
    const bare = await startTestApi(backend, {
      stripe: { apiBase: emulator.url, connectBase: emulator.url },
    });
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
