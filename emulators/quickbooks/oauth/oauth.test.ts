import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OAuthAuthority, registerOAuthRoutes, type TokenResponse } from './index.js';

const CLIENT_ID = 'ABclientEmulator';
const CLIENT_SECRET = 'secretEmulator';
const REDIRECT = 'http://127.0.0.1:9/quickbooks/callback';
const HOUR = 3600 * 1000;
const basic = (id = CLIENT_ID, secret = CLIENT_SECRET) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Intuit's OAuth over real HTTP: consent page, code exchange, rolling refresh tokens, revoke. */
describe('QuickBooks emulator OAuth', () => {
  let app: FastifyInstance;
  let url: string;
  let clock: number;
  let authority: OAuthAuthority;

  const start = async (options: { rotateRefreshAfterSec?: number; redirectUris?: string[] } = {}) => {
    authority = new OAuthAuthority({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      now: () => clock,
      ...options,
    });
    app = Fastify({ logger: false });
    registerOAuthRoutes(app, authority, () => [
      { realmId: '9130350000000001', companyName: 'Maple & Oak <Ltd>' },
      { realmId: '9130350000000002', companyName: 'Second Company' },
    ]);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  };
  beforeEach(() => {
    clock = Date.UTC(2026, 0, 5, 12);
  });
  afterEach(async () => {
    await app.close();
  });

  const authorizeUrl = (params: Record<string, string> = {}) =>
    `${url}/connect/oauth2?${new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      scope: 'com.intuit.quickbooks.accounting',
      redirect_uri: REDIRECT,
      state: 'st-123',
      ...params,
    }).toString()}`;

  const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
    method: 'POST',
    redirect: 'manual' as const,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });

  /** Opens the consent page and answers it as a person would; returns where the browser goes. */
  async function consent(action: 'connect' | 'cancel', realmId = '9130350000000002'): Promise<URL> {
    const page = await fetch(authorizeUrl());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Maple &#38; Oak &#60;Ltd&#62;');
    const requestId = /name="request" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const answer = await fetch(`${url}/connect/oauth2`, form({ request: requestId, realmId, action }));
    expect(answer.status).toBe(302);
    return new URL(answer.headers.get('location') ?? '');
  }

  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(
      `${url}/oauth2/v1/tokens/bearer`,
      form(fields, { authorization: basic(), accept: 'application/json', ...headers }),
    );

  async function connect(): Promise<TokenResponse> {
    const back = await consent('connect');
    const response = await token({
      grant_type: 'authorization_code',
      code: back.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
    });
    expect(response.status).toBe(200);
    return (await response.json()) as TokenResponse;
  }

  const refresh = async (refreshToken: string) => {
    const response = await token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    return { status: response.status, body: (await response.json()) as TokenResponse & { error?: string } };
  };

  it('runs the code flow: consent, redirect with code, state and realmId, single-use code', async () => {
    await start();
    const back = await consent('connect');
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(back.searchParams.get('realmId')).toBe('9130350000000002');
    const code = back.searchParams.get('code') ?? '';
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT };

    const response = await token(exchange);
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenResponse;
    expect(body).toMatchObject({
      token_type: 'bearer',
      expires_in: 3600,
      x_refresh_token_expires_in: 8_726_400,
    });
    expect(body).not.toHaveProperty('x_refresh_token_hard_expires_in');
    expect(authority.verifyAccessToken(body.access_token)).toEqual({ realmId: '9130350000000002' });

    expect((await (await token(exchange)).json()) as object).toEqual({ error: 'invalid_grant' });
    clock += HOUR;
    expect(authority.verifyAccessToken(body.access_token)).toEqual({ error: 'expired' });
    expect(authority.verifyAccessToken('made-up')).toEqual({ error: 'invalid' });
  });

  it('refuses a code redeemed with another redirect_uri or after it expired', async () => {
    await start();
    const wrongRedirect = await token({
      grant_type: 'authorization_code',
      code: (await consent('connect')).searchParams.get('code') ?? '',
      redirect_uri: 'http://127.0.0.1:9/elsewhere',
    });
    expect(wrongRedirect.status).toBe(400);
    const late = (await consent('connect')).searchParams.get('code') ?? '';
    clock += 10 * 60 * 1000;
    const expired = await token({ grant_type: 'authorization_code', code: late, redirect_uri: REDIRECT });
    expect([expired.status, await expired.json()]).toEqual([400, { error: 'invalid_grant' }]);
  });

  it('redirects with access_denied when the person cancels', async () => {
    await start();
    const back = await consent('cancel');
    expect(Object.fromEntries(back.searchParams)).toEqual({ error: 'access_denied', state: 'st-123' });
  });

  it('shows an error page for an unknown client or redirect_uri, redirects for a bad scope', async () => {
    await start({ redirectUris: [REDIRECT] });
    const unknownClient = await fetch(authorizeUrl({ client_id: 'nope' }));
    expect(unknownClient.status).toBe(400);
    const badRedirect = await fetch(authorizeUrl({ redirect_uri: 'http://127.0.0.1:9/not-registered' }));
    expect(await badRedirect.text()).toContain('redirect_uri query parameter value is invalid');
    const missingRedirect = await fetch(authorizeUrl({ redirect_uri: '' }));
    expect(missingRedirect.status).toBe(400);
    const badScope = await fetch(authorizeUrl({ scope: 'com.intuit.quickbooks.payroll' }), {
      redirect: 'manual',
    });
    expect(badScope.status).toBe(302);
    const location = new URL(badScope.headers.get('location') ?? '');
    expect(Object.fromEntries(location.searchParams)).toEqual({ error: 'invalid_scope', state: 'st-123' });
  });

  it('returns the same refresh token within a day, a new one after, and honours the old one 24 h', async () => {
    await start();
    const first = await connect();
    clock += HOUR;
    const sameDay = await refresh(first.refresh_token);
    expect(sameDay.status).toBe(200);
    expect(sameDay.body.refresh_token).toBe(first.refresh_token);
    expect(sameDay.body.x_refresh_token_expires_in).toBe(8_726_400 - 3600);
    expect(sameDay.body.access_token).not.toBe(first.access_token);

    clock += 24 * HOUR;
    const rotated = await refresh(first.refresh_token);
    expect(rotated.body.refresh_token).not.toBe(first.refresh_token);
    expect(rotated.body.x_refresh_token_expires_in).toBe(8_726_400);

    // A second process still holding the old value gets the newest one back during the overlap.
    clock += 23 * HOUR;
    const stale = await refresh(first.refresh_token);
    expect([stale.status, stale.body.refresh_token]).toEqual([200, rotated.body.refresh_token]);
    clock += HOUR;
    const tooLate = await refresh(first.refresh_token);
    expect([tooLate.status, tooLate.body.error]).toEqual([400, 'invalid_grant']);
    expect((await refresh(rotated.body.refresh_token)).status).toBe(200);
  });

  it('rotates on every refresh when told to, and reports the hard expiry on request', async () => {
    await start({ rotateRefreshAfterSec: 0 });
    const first = await connect();
    const second = await refresh(first.refresh_token);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    const response = await token(
      { grant_type: 'refresh_token', refresh_token: second.body.refresh_token },
      { 'x-include-refresh-token-hard-expires-in': 'true' },
    );
    const third = (await response.json()) as TokenResponse;
    expect(third.refresh_token).not.toBe(second.body.refresh_token);
    expect(third.x_refresh_token_hard_expires_in).toBe(5 * 365 * 86_400);
  });

  it('expires a refresh token left unused for its lifetime', async () => {
    await start();
    const first = await connect();
    clock += 8_726_400 * 1000;
    expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('revokes the whole connection from either token, and leaves other connections alone', async () => {
    await start();
    const revoked = await connect();
    const other = await connect();
    const response = await fetch(`${url}/v2/oauth2/tokens/revoke`, {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token: revoked.refresh_token }),
    });
    expect(response.status).toBe(200);
    expect(authority.hasConnection('9130350000000002')).toBe(true);
    expect(authority.verifyAccessToken(revoked.access_token)).toEqual({ error: 'invalid' });
    expect((await refresh(revoked.refresh_token)).body.error).toBe('invalid_grant');
    expect(authority.verifyAccessToken(other.access_token)).toEqual({ realmId: '9130350000000002' });
    await fetch(`${url}/v2/oauth2/tokens/revoke`, {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': 'application/json' },
      body: JSON.stringify({ token: other.access_token }),
    });
    expect(authority.hasConnection('9130350000000002')).toBe(false);
  });

  it('answers 401 invalid_client to a wrong client secret or no client authentication', async () => {
    await start();
    const first = await connect();
    const wrong = await token(
      { grant_type: 'refresh_token', refresh_token: first.refresh_token },
      { authorization: basic(CLIENT_ID, 'guess') },
    );
    expect([wrong.status, await wrong.json()]).toEqual([401, { error: 'invalid_client' }]);
    const revoke = await fetch(`${url}/v2/oauth2/tokens/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: first.refresh_token }),
    });
    expect(revoke.status).toBe(401);
    expect((await refresh(first.refresh_token)).status).toBe(200);
    const unsupported = await token({ grant_type: 'client_credentials' });
    expect(await unsupported.json()).toEqual({ error: 'unsupported_grant_type' });
  });

  it('mints and expires access tokens in process', async () => {
    await start();
    const one = authority.mintAccessToken('r1');
    const two = authority.mintAccessToken('r2');
    authority.expireAccessTokens('r1');
    expect(authority.verifyAccessToken(one)).toEqual({ error: 'expired' });
    expect(authority.verifyAccessToken(two)).toEqual({ realmId: 'r2' });
    authority.expireAccessTokens();
    expect(authority.verifyAccessToken(two)).toEqual({ error: 'expired' });
  });
});
