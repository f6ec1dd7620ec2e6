import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { OAuthError, type OAuthAuthority } from './authority.js';
import { consentPage, errorPage } from './page.js';

export interface ConnectableCompany {
  readonly realmId: string;
  readonly companyName: string;
}

/** How long a consent page stays usable: long enough for a person, short enough not to pile up. */
const REQUEST_TTL_MS = 60 * 60 * 1000;
const ACCOUNTING_SCOPE = 'com.intuit.quickbooks.accounting';
/** Scopes the emulator grants. OpenID (`openid profile email …`) is not emulated: no id_token. */
const KNOWN_SCOPES = new Set([ACCOUNTING_SCOPE, 'com.intuit.quickbooks.payment']);
const REDIRECT_URI_INVALID =
  "The redirect_uri query parameter value is invalid. Make sure it is listed in the Redirect URIs section on your app's keys tab and matches it exactly.";

/**
 * Intuit's OAuth 2.0 endpoints at their real paths, so a client only swaps hosts:
 * `GET/POST /connect/oauth2` (appcenter.intuit.com: the consent page and its answer),
 * `POST /oauth2/v1/tokens/bearer` (oauth.platform.intuit.com) and
 * `POST /v2/oauth2/tokens/revoke` (developer.api.intuit.com).
 * Registered in their own plugin scope so the form-encoded parser they need exists even on a bare
 * Fastify instance; the routes therefore appear once the app is ready.
 */
export function registerOAuthRoutes(
  app: FastifyInstance,
  authority: OAuthAuthority,
  companies: () => readonly ConnectableCompany[],
): void {
  // Kept in the authority's store so a consent page survives an emulator restart.
  const pending = authority.store.consents;

  void app.register(async (scope) => {
    if (!scope.hasContentTypeParser('application/x-www-form-urlencoded')) {
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
      );
    }

    scope.get('/connect/oauth2', async (request, reply) => {
      const q = record(request.query);
      if (text(q.client_id) !== authority.clientId) {
        return html(reply, 400, errorPage('The client_id is invalid: no app is registered with it.'));
      }
      const redirectUri = text(q.redirect_uri);
      if (!redirectUri || !acceptableRedirect(redirectUri, authority.redirectUris)) {
        return html(reply, 400, errorPage(REDIRECT_URI_INVALID));
      }
      const state = text(q.state);
      const back = (params: Record<string, string>) =>
        reply.redirect(withQuery(redirectUri, params, state), 302);
      if (text(q.response_type) !== 'code') return back({ error: 'unsupported_response_type' });
      const scopes = (text(q.scope) ?? '').split(/[ +]/).filter(Boolean);
      if (!scopes.includes(ACCOUNTING_SCOPE) || scopes.some((s) => !KNOWN_SCOPES.has(s))) {
        return back({ error: 'invalid_scope' });
      }
      const now = authority.now();
      for (const [id, consent] of pending) if (now - consent.createdMs > REQUEST_TTL_MS) pending.delete(id);
      const requestId = randomUUID();
      pending.set(requestId, { redirectUri, state, createdMs: now });
      authority.store.changed();
      return html(reply, 200, consentPage({ requestId, companies: companies() }));
    });

    scope.post('/connect/oauth2', async (request, reply) => {
      const body = record(request.body);
      const requestId = text(body.request) ?? '';
      const consent = pending.get(requestId);
      if (pending.delete(requestId)) authority.store.changed();
      if (!consent || authority.now() - consent.createdMs > REQUEST_TTL_MS) {
        return html(reply, 400, errorPage('This connection request has expired or was already answered.'));
      }
      if (text(body.action) === 'cancel') {
        return reply.redirect(withQuery(consent.redirectUri, { error: 'access_denied' }, consent.state), 302);
      }
      const realmId = text(body.realmId);
      if (!realmId || !companies().some((company) => company.realmId === realmId)) {
        return html(reply, 400, errorPage('Pick one of the listed companies to connect.'));
      }
      const code = authority.issueCode(realmId, consent.redirectUri);
      // Intuit's order: code, state, realmId.
      const url = new URL(consent.redirectUri);
      url.searchParams.set('code', code);
      if (consent.state !== undefined) url.searchParams.set('state', consent.state);
      url.searchParams.set('realmId', realmId);
      return reply.redirect(url.toString(), 302);
    });

    scope.post('/oauth2/v1/tokens/bearer', async (request, reply) =>
      oauthCall(reply, () => {
        if (!authority.checkClient(request.headers.authorization))
          throw new OAuthError(401, 'invalid_client');
        const body = record(request.body);
        const withHardExpiry = request.headers['x-include-refresh-token-hard-expires-in'] === 'true';
        const grantType = text(body.grant_type);
        if (grantType === 'authorization_code') {
          const code = text(body.code);
          if (!code) throw new OAuthError(400, 'invalid_request');
          return authority.redeemCode(code, text(body.redirect_uri), withHardExpiry);
        }
        if (grantType === 'refresh_token') {
          const refreshToken = text(body.refresh_token);
          if (!refreshToken) throw new OAuthError(400, 'invalid_request');
          return authority.refresh(refreshToken, withHardExpiry);
        }
        throw new OAuthError(400, 'unsupported_grant_type');
      }),
    );

    scope.post('/v2/oauth2/tokens/revoke', async (request, reply) =>
      oauthCall(reply, () => {
        if (!authority.checkClient(request.headers.authorization))
          throw new OAuthError(401, 'invalid_client');
        const body = typeof request.body === 'string' ? safeJson(request.body) : record(request.body);
        const token = text(body.token);
        if (!token) throw new OAuthError(400, 'invalid_request');
        authority.revoke(token);
        return '';
      }),
    );
  });
}

function oauthCall(reply: FastifyReply, run: () => unknown) {
  try {
    const result = run();
    if (result === '') return reply.status(200).send();
    return reply.status(200).header('cache-control', 'no-store').send(result);
  } catch (error) {
    if (error instanceof OAuthError) return reply.status(error.status).send(error.toJSON());
    throw error;
  }
}

/** An absolute http(s) URL, and one of the registered ones when the app lists any. */
function acceptableRedirect(uri: string, registered: readonly string[] | undefined): boolean {
  if (!URL.canParse(uri) || !/^https?:/.test(uri)) return false;
  return registered === undefined || registered.includes(uri);
}

function html(reply: FastifyReply, status: number, body: string) {
  return reply.status(status).header('content-type', 'text/html; charset=utf-8').send(body);
}

function withQuery(base: string, params: Record<string, string>, state: string | undefined): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  if (state !== undefined) url.searchParams.set('state', state);
  return url.toString();
}

function safeJson(raw: string): Record<string, unknown> {
  try {
    return record(JSON.parse(raw));
  } catch {
    return {};
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
