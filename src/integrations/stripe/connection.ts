import type { Principal } from '../../access/repository.js';
import { enqueueStripeReconcile } from './inbound/reconcile.js';
import { AppError } from '../../http/errors.js';
import { EncryptionKeyMissingError } from '../../security/secret-box.js';
import type { Db } from '../../store/db.js';
import {
  type Connection,
  credentialContext,
  getLiveConnection,
  insertConnection,
  markDisconnected,
  recordConnectionError,
  recordNeedsReauth,
  recordVerified,
  setWebhookEndpoint,
  updateConnectionSettings,
} from '../../store/repositories/integration-connections.js';
import { consumeOAuthState, createOAuthState } from '../../store/repositories/oauth-states.js';
import {
  accountAccess,
  classifyStripeError,
  createConnectClient,
  createStripeClient,
  type StripeCredentials,
  stripeErrorMessage,
} from './client.js';
import { SUBSCRIBED_EVENT_TYPES } from './events.js';
import type { StripeIntegration } from './settings.js';

/**
 * Connecting a tenant's Stripe account, checking it and letting go of it. Stripe is called outside
 * any database transaction (a slow Stripe must not hold locks); each database step is one statement.
 */
export interface StripeConnector {
  readonly db: Db;
  readonly stripe: StripeIntegration;
}

export const OAUTH_CALLBACK_PATH = '/api/v1/integrations/stripe/oauth/callback';
export const WEBHOOK_PATH = '/webhooks/stripe';

/** A restricted (rk_) or secret (sk_) key, test or live. */
export const SECRET_KEY_PATTERN = /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/;

export async function connectWithApiKey(ctx: StripeConnector, principal: Principal, secretKey: string) {
  requireEncryption(ctx);
  await refuseIfConnected(ctx, principal.tenantId);
  const { apiBase, timeoutMs } = ctx.stripe.settings;
  let accountId: string;
  try {
    accountId = (await createStripeClient(secretKey, apiBase, timeoutMs).accounts.retrieveCurrent()).id;
  } catch (error) {
    throw stripeCallFailed(error, 'stripe_key_rejected', 'Stripe refused the key');
  }
  const credentials: StripeCredentials = { kind: 'api_key', secret_key: secretKey };
  const connection = await store(ctx, principal, 'api_key', accountId, credentials);
  return registerWebhookEndpoint(ctx, connection);
}

export async function startOAuth(ctx: StripeConnector, principal: Principal) {
  const { clientId, platformSecretKey, connectBase, publicUrl } = ctx.stripe.settings;
  if (!clientId || !platformSecretKey) {
    throw new AppError(
      'unavailable',
      'stripe_connect_not_configured',
      'Stripe Connect needs STRIPE_CLIENT_ID and STRIPE_SECRET_KEY; connect with an API key instead',
    );
  }
  requireEncryption(ctx);
  await refuseIfConnected(ctx, principal.tenantId);
  const { state, expiresAt } = await createOAuthState(ctx.db, owner(principal));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    scope: 'read_write',
    state,
  });
  if (publicUrl) query.set('redirect_uri', `${publicUrl}${OAUTH_CALLBACK_PATH}`);
  return { authorizeUrl: `${connectBase}/oauth/authorize?${query.toString()}`, expiresAt };
}

export interface OAuthCallback {
  readonly state: string;
  readonly code?: string | undefined;
  readonly error?: string | undefined;
  readonly errorDescription?: string | undefined;
}

export async function completeOAuth(ctx: StripeConnector, principal: Principal, callback: OAuthCallback) {
  // The state is used up first, whatever follows: a code or a state is never good for two tries.
  if (!(await consumeOAuthState(ctx.db, callback.state, owner(principal)))) {
    throw new AppError(
      'validation',
      'invalid_oauth_state',
      'The OAuth state is unknown, expired, already used, or was started by someone else; start again',
    );
  }
  if (callback.error !== undefined || callback.code === undefined) {
    const reason = callback.errorDescription ?? callback.error ?? 'no authorization code was returned';
    throw new AppError('validation', 'oauth_denied', `Stripe did not authorize the connection: ${reason}`);
  }
  requireEncryption(ctx);
  let token;
  try {
    token = await createConnectClient(ctx.stripe).oauth.token({
      grant_type: 'authorization_code',
      code: callback.code,
    });
  } catch (error) {
    throw stripeCallFailed(error, 'oauth_exchange_failed', 'Stripe refused the authorization code');
  }
  if (!token.stripe_user_id) {
    throw new AppError('unavailable', 'oauth_exchange_failed', 'Stripe returned no account for the code');
  }
  const credentials: StripeCredentials = {
    kind: 'oauth',
    access_token: token.access_token ?? null,
    refresh_token: token.refresh_token ?? null,
    scope: token.scope ?? null,
    livemode: token.livemode ?? null,
  };
  const connection = await store(ctx, principal, 'oauth', token.stripe_user_id, credentials);
  return registerWebhookEndpoint(ctx, connection);
}

/** Calls GET /v1/account with the stored credentials and records what Stripe said. */
export async function verifyConnection(ctx: StripeConnector, principal: Principal) {
  const connection = await requireLive(ctx, principal.tenantId);
  try {
    const { stripe, options } = accountAccess(ctx.stripe, connection);
    const account = await stripe.accounts.retrieveCurrent(undefined, options);
    if (account.id !== connection.externalAccountId) {
      return recordNeedsReauth(ctx.db, connection, `the credentials now reach account ${account.id}`);
    }
    return await recordVerified(ctx.db, connection);
  } catch (error) {
    const message = stripeErrorMessage(error);
    return classifyStripeError(error) === 'rejected'
      ? recordNeedsReauth(ctx.db, connection, message)
      : recordConnectionError(ctx.db, connection, message);
  }
}

/** What a tenant may choose about its connection (stored in the connection's `settings`). */
export interface StripeConnectionSettings {
  /** Stripe also emails each pushed invoice to the customer (the sync calls `send` after `finalize`). */
  readonly send_invoices_by_email?: boolean | undefined;
}

/** Changes the live connection's settings; the next sync job reads them. */
export async function updateSettings(
  ctx: StripeConnector,
  principal: Principal,
  patch: StripeConnectionSettings,
): Promise<Connection> {
  const connection = await requireLive(ctx, principal.tenantId);
  const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  if (Object.keys(changes).length === 0) return connection;
  return updateConnectionSettings(ctx.db, connection, changes);
}

/**
 * Lets go of the account: removes the webhook endpoint we registered, deauthorizes an OAuth grant,
 * then marks the row disconnected with its credentials wiped. When Stripe cannot be reached nothing
 * changes here (503): disconnecting locally would leave our access alive at Stripe with no way left
 * to revoke it. An answer from Stripe that the grant is already gone counts as done.
 */
export async function disconnect(ctx: StripeConnector, principal: Principal) {
  const connection = await requireLive(ctx, principal.tenantId);
  const { clientId, platformSecretKey } = ctx.stripe.settings;
  if (connection.method === 'oauth' && (!clientId || !platformSecretKey)) {
    throw new AppError(
      'unavailable',
      'stripe_connect_not_configured',
      'Deauthorizing a Connect account needs STRIPE_CLIENT_ID and STRIPE_SECRET_KEY',
    );
  }
  if (connection.webhookEndpointId) {
    try {
      const { stripe, options } = accountAccess(ctx.stripe, connection);
      await stripe.webhookEndpoints.del(connection.webhookEndpointId, undefined, options);
    } catch (error) {
      // Anything but an outage means there is nothing left to remove (deleted, or access gone).
      if (classifyStripeError(error) === 'unavailable') throw stripeUnavailable(error);
    }
  }
  if (connection.method === 'oauth' && clientId) {
    try {
      await createConnectClient(ctx.stripe).oauth.deauthorize({
        client_id: clientId,
        stripe_user_id: connection.externalAccountId,
      });
    } catch (error) {
      if (classifyStripeError(error) === 'unavailable') throw stripeUnavailable(error);
    }
  }
  return (await markDisconnected(ctx.db, connection, principal.actor)) ?? connection;
}

/**
 * With PUBLIC_URL set, asks Stripe to send this account's events to us, and keeps the endpoint's
 * signing secret (encrypted). A failure leaves the connection in place with last_error saying so:
 * the account is connected; only its webhooks are missing, and connecting again retries.
 */
async function registerWebhookEndpoint(ctx: StripeConnector, connection: Connection): Promise<Connection> {
  const publicUrl = ctx.stripe.settings.publicUrl;
  if (!publicUrl) return connection;
  try {
    const { stripe, options } = accountAccess(ctx.stripe, connection);
    const endpoint = await stripe.webhookEndpoints.create(
      {
        url: `${publicUrl}${WEBHOOK_PATH}`,
        enabled_events: [...SUBSCRIBED_EVENT_TYPES],
        description: 'ledgerbridge',
        metadata: { ledgerbridge_connection: connection.id },
      },
      // One endpoint per connection even if this request is retried.
      { ...options, idempotencyKey: `ledgerbridge-webhook-endpoint-${connection.id}` },
    );
    if (!endpoint.secret) throw new Error('Stripe returned the webhook endpoint without its secret');
    const sealed = ctx.stripe.secrets.encrypt(
      endpoint.secret,
      credentialContext(connection, 'webhook_secret'),
    );
    return await setWebhookEndpoint(ctx.db, connection, endpoint.id, sealed);
  } catch (error) {
    return recordConnectionError(
      ctx.db,
      connection,
      `webhook endpoint not registered: ${stripeErrorMessage(error)}`,
    );
  }
}

async function store(
  ctx: StripeConnector,
  principal: Principal,
  method: 'api_key' | 'oauth',
  accountId: string,
  credentials: StripeCredentials,
): Promise<Connection> {
  try {
    // The first reconciliation is enqueued with the connection: events Stripe sent before our webhook
    // endpoint existed are still read and applied.
    return await ctx.db.transaction(async (tx) => {
      const connection = await insertConnection(tx, {
        tenantId: principal.tenantId,
        provider: 'stripe',
        method,
        externalAccountId: accountId,
        connectedBy: principal.actor,
        sealCredentials: (row) =>
          ctx.stripe.secrets.encrypt(JSON.stringify(credentials), credentialContext(row, 'credentials')),
      });
      await enqueueStripeReconcile(tx, connection.tenantId, connection.id, 'connected');
      return connection;
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === '23505') {
      throw new AppError(
        'conflict',
        'already_connected',
        'Stripe is already connected for this business, or this Stripe account is connected to another one',
      );
    }
    throw error;
  }
}

function requireEncryption(ctx: StripeConnector): void {
  try {
    ctx.stripe.secrets.assertCanEncrypt();
  } catch (error) {
    if (error instanceof EncryptionKeyMissingError) {
      throw new AppError('unavailable', 'encryption_key_missing', error.message);
    }
    throw error;
  }
}

async function refuseIfConnected(ctx: StripeConnector, tenantId: string): Promise<void> {
  if (await getLiveConnection(ctx.db, tenantId, 'stripe')) {
    throw new AppError('conflict', 'already_connected', 'Stripe is already connected; disconnect it first');
  }
}

async function requireLive(ctx: StripeConnector, tenantId: string): Promise<Connection> {
  const connection = await getLiveConnection(ctx.db, tenantId, 'stripe');
  if (!connection) throw new AppError('not_found', 'not_connected', 'Stripe is not connected');
  return connection;
}

function owner(principal: Principal) {
  return { tenantId: principal.tenantId, actor: principal.actor, provider: 'stripe' as const };
}

/** Stripe refused the request (400 with `code`), or could not be reached (503 stripe_unavailable). */
function stripeCallFailed(error: unknown, code: string, message: string): AppError {
  if (classifyStripeError(error) === 'unavailable') return stripeUnavailable(error);
  return new AppError('validation', code, `${message}: ${stripeErrorMessage(error)}`);
}

function stripeUnavailable(error: unknown): AppError {
  return new AppError(
    'unavailable',
    'stripe_unavailable',
    `Stripe could not be reached: ${stripeErrorMessage(error)}`,
  );
}
