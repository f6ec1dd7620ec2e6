import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';
import { startStripeOAuthPeer, type StripeOAuthPeer } from '../../../test/stripe-oauth-peer.js';
import { createLogger } from '../../logger.js';
import { SecretBox } from '../../security/secret-box.js';

const BASE = '/api/v1/integrations/stripe';
const PUBLIC_URL = 'https://books.example.test';

/** Connecting by API key, verifying, disconnecting, who may, and where secrets must never appear. */
describe.each(backends)('Stripe connection API on $name', (backend) => {
  let api: TestApi;
  let peer: StripeOAuthPeer;
  const logLines: string[] = [];
  beforeAll(async () => {
    peer = await startStripeOAuthPeer();
    api = await startTestApi(backend, {
      stripe: { apiBase: peer.url, connectBase: peer.url, publicUrl: PUBLIC_URL },
      logger: createLogger('trace', { write: (line: string) => void logLines.push(line) }),
    });
  });
  afterAll(async () => {
    await api.close();
    await peer.close();
  });

  const newKey = (account: string) => {
    const key = `rk_test_${account.replace(/[^A-Za-z0-9]/g, '')}${Math.random().toString(36).slice(2, 10)}`;
    peer.addAccountKey(key, account);
    return key;
  };

  it('connects with a restricted key: checks it at Stripe, stores it encrypted, registers the webhook', async () => {
    const tenant = await api.tenant('owner');
    const key = newKey('acct_apikey1');
    const seen = peer.requests.length;
    const response = await tenant.request('POST', `${BASE}/api-key`, { secret_key: key });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      connected: true,
      status: 'connected',
      method: 'api_key',
      account_id: 'acct_apikey1',
      webhook_endpoint_registered: true,
      last_error: null,
    });
    const [accountCall, endpointCall] = peer.requests.slice(seen);
    expect(accountCall).toMatchObject({ method: 'GET', path: '/v1/account' });
    expect(accountCall?.headers.authorization).toBe(`Bearer ${key}`);
    expect(endpointCall).toMatchObject({ method: 'POST', path: '/v1/webhook_endpoints' });
    expect(endpointCall?.form).toMatchObject({ url: `${PUBLIC_URL}/webhooks/stripe` });
    expect(endpointCall?.form.enabled_events).toEqual(
      expect.arrayContaining([
        'account.application.deauthorized',
        'invoice.paid',
        'payment_intent.succeeded',
      ]),
    );
    expect(endpointCall?.headers['idempotency-key']).toMatch(/^ledgerbridge-webhook-endpoint-itg_/);

    const [row] = await api.db.query<{ credentials: string; webhook_secret: string }>(
      'SELECT credentials, webhook_secret FROM integration_connections WHERE tenant_id = $1',
      [tenant.tenantId],
    );
    const endpoint = [...peer.endpoints.values()].find((e) => e.account === 'acct_apikey1');
    expect(row?.credentials).toMatch(/^v1\./);
    expect(row?.credentials).not.toContain(key);
    expect(row?.webhook_secret).toMatch(/^v1\./);
    expect(row?.webhook_secret).not.toContain(endpoint?.secret);

    const again = await tenant.request('POST', `${BASE}/api-key`, { secret_key: newKey('acct_apikey1b') });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('already_connected');
  });

  it('refuses a key Stripe rejects or that is not a key, storing nothing', async () => {
    const tenant = await api.tenant('owner');
    const rejected = await tenant.request('POST', `${BASE}/api-key`, { secret_key: 'sk_test_unknownkey123' });
    expect(rejected.statusCode).toBe(400);
    expect(rejected.json().error.code).toBe('stripe_key_rejected');
    const malformed = await tenant.request('POST', `${BASE}/api-key`, { secret_key: 'pk_test_publishable1' });
    expect(malformed.statusCode).toBe(400);
    const rows = await api.db.query('SELECT 1 FROM integration_connections WHERE tenant_id = $1', [
      tenant.tenantId,
    ]);
    expect(rows).toHaveLength(0);
    expect((await tenant.request('GET', BASE)).json()).toMatchObject({ connected: false, status: null });
  });

  it('one Stripe account belongs to one business at a time', async () => {
    const first = await api.tenant('owner');
    const second = await api.tenant('owner');
    const key = newKey('acct_shared');
    expect((await first.request('POST', `${BASE}/api-key`, { secret_key: key })).statusCode).toBe(201);
    const taken = await second.request('POST', `${BASE}/api-key`, { secret_key: newKey('acct_shared') });
    expect(taken.statusCode).toBe(409);
  });

  it('verify records success, a refused key (needs_reauth) and an outage (status kept)', async () => {
    const tenant = await api.tenant('owner');
    const key = newKey('acct_verify');
    await tenant.request('POST', `${BASE}/api-key`, { secret_key: key });
    await api.db.query('UPDATE integration_connections SET last_verified_at = NULL WHERE tenant_id = $1', [
      tenant.tenantId,
    ]);
    const ok = await tenant.request('POST', `${BASE}/verify`);
    expect(ok.json()).toMatchObject({ status: 'connected', last_error: null });
    expect(ok.json().last_verified_at).not.toBeNull();

    peer.failWith = 500;
    const outage = (await tenant.request('POST', `${BASE}/verify`)).json();
    peer.failWith = undefined;
    expect(outage).toMatchObject({ status: 'connected' });
    expect(outage.last_error).toMatch(/500/);

    peer.addAccountKey(key, ''); // the key no longer reaches any account: Stripe answers 401
    const refused = (await tenant.request('POST', `${BASE}/verify`)).json();
    expect(refused).toMatchObject({ status: 'needs_reauth', connected: true });
    expect(refused.last_error).toMatch(/401/);

    peer.addAccountKey(key, 'acct_verify');
    expect((await tenant.request('POST', `${BASE}/verify`)).json()).toMatchObject({
      status: 'connected',
      last_error: null,
    });
  });

  it('disconnect removes the webhook endpoint, wipes credentials and keeps the history', async () => {
    const tenant = await api.tenant('owner');
    await tenant.request('POST', `${BASE}/api-key`, { secret_key: newKey('acct_bye') });
    const endpointId = [...peer.endpoints.entries()].find(([, e]) => e.account === 'acct_bye')?.[0];
    expect(endpointId).toBeDefined();

    peer.failWith = 503;
    const unreachable = await tenant.request('DELETE', BASE);
    peer.failWith = undefined;
    expect(unreachable.statusCode).toBe(503);
    expect((await tenant.request('GET', BASE)).json().connected).toBe(true);

    const response = await tenant.request('DELETE', BASE);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      connected: false,
      status: 'disconnected',
      account_id: 'acct_bye',
    });
    expect(peer.endpoints.has(endpointId ?? '')).toBe(false);
    const rows = await api.db.query<Record<string, unknown>>(
      'SELECT status, credentials, webhook_secret, disconnected_by FROM integration_connections WHERE tenant_id = $1',
      [tenant.tenantId],
    );
    expect(rows).toEqual([
      {
        status: 'disconnected',
        credentials: null,
        webhook_secret: null,
        disconnected_by: expect.any(String),
      },
    ]);
    expect((await tenant.request('DELETE', BASE)).statusCode).toBe(404);

    // Connecting again makes a new row; the old one stays as history.
    await tenant.request('POST', `${BASE}/api-key`, { secret_key: newKey('acct_bye') });
    const count = await api.db.query('SELECT 1 FROM integration_connections WHERE tenant_id = $1', [
      tenant.tenantId,
    ]);
    expect(count).toHaveLength(2);
  });

  it('only owners and admins connect, verify or disconnect; every role reads the status', async () => {
    const tenant: TestTenant = await api.tenant('owner');
    const writes: [string, string, unknown][] = [
      ['POST', `${BASE}/api-key`, { secret_key: newKey('acct_roles') }],
      ['POST', `${BASE}/oauth/start`, {}],
      ['GET', `${BASE}/oauth/callback?state=x&code=y`, undefined],
      ['POST', `${BASE}/verify`, {}],
      ['DELETE', BASE, undefined],
    ];
    for (const role of ['finance', 'viewer'] as const) {
      const key = await tenant.keyFor(role);
      for (const [method, url, body] of writes) {
        const response = await api.app.inject({
          method: method as 'POST',
          url,
          headers: { authorization: `Bearer ${key}` },
          ...(body === undefined ? {} : { payload: body as object }),
        });
        expect(response.statusCode, `${role} ${method} ${url}`).toBe(403);
      }
      const read = await api.app.inject({
        method: 'GET',
        url: BASE,
        headers: { authorization: `Bearer ${key}` },
      });
      expect(read.statusCode).toBe(200);
    }
    expect(
      await api.db.query('SELECT 1 FROM integration_connections WHERE tenant_id = $1', [tenant.tenantId]),
    ).toEqual([]);
    const admin = await tenant.keyFor('admin');
    const connect = await api.app.inject({
      method: 'POST',
      url: `${BASE}/api-key`,
      headers: { authorization: `Bearer ${admin}` },
      payload: { secret_key: newKey('acct_roles') },
    });
    expect(connect.statusCode).toBe(201);
  });

  it('never shows a credential in a response or a log line', async () => {
    const tenant = await api.tenant('owner');
    const key = newKey('acct_secret');
    const bodies = [
      (await tenant.request('POST', `${BASE}/api-key`, { secret_key: key })).body,
      (await tenant.request('GET', BASE)).body,
      (await tenant.request('POST', `${BASE}/verify`)).body,
      (await tenant.request('GET', '/api/v1/jobs')).body,
    ];
    const webhookSecret = [...peer.endpoints.values()].find((e) => e.account === 'acct_secret')?.secret ?? '';
    expect(webhookSecret).toMatch(/^whsec_/);
    const [row] = await api.db.query<{ credentials: string }>(
      'SELECT credentials FROM integration_connections WHERE tenant_id = $1',
      [tenant.tenantId],
    );
    expect(logLines.length).toBeGreaterThan(0);
    for (const text of [...bodies, ...logLines]) {
      for (const secret of [key, webhookSecret, row?.credentials ?? 'missing']) {
        expect(text).not.toContain(secret);
      }
    }
    expect((await tenant.request('DELETE', BASE)).body).not.toContain(key);
  });
});

describe.each(backends)('Stripe connection without an encryption key on $name', (backend) => {
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
      },
      secrets: new SecretBox(
        [],
        'ENCRYPTION_KEY is not set. With DATABASE_URL every process must share one key',
      ),
    });
  });
  afterAll(async () => {
    await api.close();
    await peer.close();
  });

  it('refuses to connect before calling Stripe, saying which setting is missing', async () => {
    const tenant = await api.tenant('owner');
    peer.addAccountKey('sk_test_nokeyhere1', 'acct_nokey');
    for (const [url, body] of [
      [`${BASE}/api-key`, { secret_key: 'sk_test_nokeyhere1' }],
      [`${BASE}/oauth/start`, {}],
    ] as const) {
      const response = await tenant.request('POST', url, body);
      expect(response.statusCode).toBe(503);
      expect(response.json().error).toMatchObject({ code: 'encryption_key_missing' });
      expect(response.json().error.message).toContain('ENCRYPTION_KEY');
    }
    expect(peer.requests).toEqual([]);
  });
});
