import type { FastifyReply, FastifyRequest } from 'fastify';
import type Stripe from 'stripe';
import { emitEvent } from '../kernel/events.js';
import type { AccountState, EmulatorState, StripeObject } from '../kernel/state.js';
import type { ResourceModule } from '../server.js';
import { OAuthError, oauthGrants, type Scope } from './grants.js';
import { authorizePage, errorPage } from './page.js';

/**
 * Connect OAuth for Standard accounts, at Stripe's paths (the SDK sends `oauth.token()` and
 * `oauth.deauthorize()` to the same host as the API once `host` is overridden):
 * `GET /oauth/authorize` (the page with Authorize and Deny), `POST /oauth/token`,
 * `POST /oauth/deauthorize`.
 */
export const oauthResource: ResourceModule = (_router, { app, state, options }) => {
  const grants = oauthGrants(state);
  const application = (): Stripe.Application & StripeObject => ({
    id: options.clientId,
    object: 'application',
    name: state.platform.displayName,
  });
  const announce = (account: AccountState, type: string) =>
    emitEvent(state, account, type, application(), { id: null, idempotencyKey: null });

  app.get('/oauth/authorize', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const clientId = text(q.client_id);
    if (clientId !== options.clientId) {
      return page(reply, 400, errorPage(`No such application: '${clientId ?? ''}'. Check the client_id.`));
    }
    const redirectUri = text(q.redirect_uri) ?? options.oauthRedirectUri;
    if (!redirectUri || !URL.canParse(redirectUri) || !/^https?:/.test(redirectUri)) {
      return page(reply, 400, errorPage('Invalid redirect_uri: give an absolute http(s) URL.'));
    }
    const stateParam = text(q.state);
    const back = (params: Record<string, string>) =>
      reply.redirect(withQuery(redirectUri, params, stateParam), 302);
    if (text(q.response_type) !== 'code') {
      return back({ error: 'unsupported_response_type', error_description: 'response_type must be code' });
    }
    const scope = text(q.scope) ?? 'read_only';
    if (scope !== 'read_write' && scope !== 'read_only') {
      return back({ error: 'invalid_scope', error_description: `Invalid scope: ${scope}` });
    }
    const stripeUser = (q.stripe_user ?? {}) as Record<string, unknown>;
    const authorizationId = grants.openRequest({
      platformId: state.platform.id,
      scope,
      state: stateParam,
      redirectUri,
    });
    return page(
      reply,
      200,
      authorizePage({
        authorizationId,
        platformName: state.platform.displayName,
        scope,
        businessName: text(stripeUser.business_name) ?? 'Emulated business',
      }),
    );
  });

  app.post('/oauth/authorize/approve', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const pending = grants.takeRequest(text(body.authorization) ?? '');
    if (!pending)
      return page(reply, 400, errorPage('This authorization request has expired or was already used.'));
    const account = state.createAccount(text(body.business_name) ?? 'Emulated business');
    account.connectedTo = pending.platformId;
    announce(account, 'account.application.authorized');
    const code = grants.issueCode({
      accountId: account.id,
      platformId: pending.platformId,
      scope: pending.scope,
    });
    return reply.redirect(withQuery(pending.redirectUri, { scope: pending.scope, code }, pending.state), 302);
  });

  app.get('/oauth/authorize/deny', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const pending = grants.takeRequest(text(q.authorization) ?? '');
    if (!pending)
      return page(reply, 400, errorPage('This authorization request has expired or was already used.'));
    const params = { error: 'access_denied', error_description: 'The user denied your request' };
    return reply.redirect(withQuery(pending.redirectUri, params, pending.state), 302);
  });

  app.post('/oauth/token', async (request, reply) =>
    oauthCall(reply, () => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const platform = platformOf(state, request, body);
      const grantType = text(body.grant_type);
      if (grantType === 'authorization_code') {
        const code = text(body.code);
        if (!code) throw new OAuthError(400, 'invalid_request', 'No authorization code provided');
        return grants.redeemCode(code, platform.id);
      }
      if (grantType === 'refresh_token') {
        const token = text(body.refresh_token);
        if (!token) throw new OAuthError(400, 'invalid_request', 'No refresh token provided');
        const scope = text(body.scope);
        if (scope !== undefined && scope !== 'read_write' && scope !== 'read_only') {
          throw new OAuthError(400, 'invalid_scope', `Invalid scope: ${scope}`);
        }
        return grants.refresh(token, platform.id, scope as Scope | undefined);
      }
      throw new OAuthError(400, 'unsupported_grant_type', `Unsupported grant type: ${grantType ?? ''}`);
    }),
  );

  app.post('/oauth/deauthorize', async (request, reply) =>
    oauthCall(reply, () => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const platform = platformOf(state, request, body);
      const clientId = text(body.client_id);
      if (!clientId) throw new OAuthError(400, 'invalid_request', 'No client_id provided');
      if (clientId !== options.clientId)
        throw new OAuthError(401, 'invalid_client', `No such application: ${clientId}`);
      const accountId = text(body.stripe_user_id) ?? '';
      const account = state.account(accountId);
      if (!account || account.connectedTo !== platform.id) {
        throw new OAuthError(
          401,
          'invalid_client',
          `This application is not connected to stripe account ${accountId}, or that account does not exist.`,
        );
      }
      // Announced while still connected, so it reaches the platform's Connect endpoints.
      announce(account, 'account.application.deauthorized');
      account.connectedTo = undefined;
      grants.revoke(account.id);
      return { stripe_user_id: account.id };
    }),
  );
};

/** The platform calling: its secret key as Bearer (what the SDK sends) or as `client_secret`. */
function platformOf(
  state: EmulatorState,
  request: FastifyRequest,
  body: Record<string, unknown>,
): AccountState {
  const header = request.headers.authorization;
  const secret = header?.startsWith('Bearer ') ? header.slice(7).trim() : text(body.client_secret);
  const key = secret ? state.keys.get(secret) : undefined;
  const account = key?.kind === 'secret' ? state.account(key.accountId) : undefined;
  if (!account || account.connectedTo !== undefined) {
    throw new OAuthError(401, 'invalid_client', 'No valid platform secret key was provided.');
  }
  return account;
}

function oauthCall(reply: FastifyReply, run: () => unknown) {
  try {
    return reply.status(200).send(run());
  } catch (error) {
    if (error instanceof OAuthError) return reply.status(error.status).send(error.toJSON());
    throw error;
  }
}

function page(reply: FastifyReply, status: number, html: string) {
  return reply.status(status).header('content-type', 'text/html; charset=utf-8').send(html);
}

function withQuery(base: string, params: Record<string, string>, state: string | undefined): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  if (state !== undefined) url.searchParams.set('state', state);
  return url.toString();
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
