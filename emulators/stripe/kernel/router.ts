import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticationError, invalidRequest, StripeError } from './errors.js';
import { emitEvent, type RequestInfo } from './events.js';
import { applyExpand } from './expand.js';
import { stripeId } from './ids.js';
import { IdempotencyStore } from './idempotency.js';
import type { AccountState, ApiKey, EmulatorState, StripeObject } from './state.js';
import type { TrafficControl } from './traffic.js';

/** What a resource handler gets: the account acted on, the parameters, and ways to act. */
export interface RequestContext {
  readonly state: EmulatorState;
  readonly account: AccountState;
  readonly key: ApiKey;
  /** Body parameters for POST/DELETE, query parameters for GET, parsed from bracket notation. */
  readonly params: Record<string, unknown>;
  readonly pathParams: Record<string, string>;
  readonly now: number;
  readonly request: RequestInfo;
  emit(type: string, object: StripeObject, previousAttributes?: Record<string, unknown>): StripeObject;
}

export type Handler = (context: RequestContext) => unknown;

export interface ApiRouter {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
  delete(path: string, handler: Handler): void;
}

/**
 * The request pipeline every /v1 call goes through, in Stripe's order: authenticate, pick the
 * account (Stripe-Account), rate limit, injected faults, idempotency, the handler, expand[], and
 * errors rendered as Stripe renders them.
 */
export function createApiRouter(
  app: FastifyInstance,
  state: EmulatorState,
  traffic: TrafficControl,
): ApiRouter {
  const idempotency = state.idempotency;
  // Requests held open by a timeout fault are let go when the emulator closes.
  const closing = new AbortController();
  app.addHook('onClose', async () => closing.abort());
  const add = (method: 'GET' | 'POST' | 'DELETE') => (path: string, handler: Handler) => {
    app.route({
      method,
      url: path,
      handler: (request, reply) => handle(request, reply, method, handler),
    });
  };

  async function handle(request: FastifyRequest, reply: FastifyReply, method: string, handler: Handler) {
    const requestId = stripeId('req', 14);
    void reply
      .header('request-id', requestId)
      .header('stripe-version', request.headers['stripe-version'] ?? '');
    const path = request.url.split('?')[0] ?? request.url;
    const params = ((method === 'GET' ? request.query : request.body) ?? {}) as Record<string, unknown>;
    const idempotencyKey = headerValue(request.headers['idempotency-key']);
    let scope: string | undefined;
    let fingerprint = '';
    try {
      const key = authenticate(state, request);
      const account = selectAccount(state, key, headerValue(request.headers['stripe-account']));
      const fault = traffic.take(method, path);
      if (fault.latencyMs > 0) await sleep(fault.latencyMs);
      if (fault.timeout) {
        // The connection hangs, then is dropped without an answer, as a timed-out upstream would be.
        await sleep(fault.holdMs, closing.signal);
        request.raw.socket.destroy();
        return reply;
      }
      traffic.admit(account.id, state.clock.nowMs());
      if (method === 'POST' && idempotencyKey) {
        scope = account.id;
        fingerprint = IdempotencyStore.fingerprint(method, path, params);
        const replay = idempotency.begin(scope, idempotencyKey, fingerprint, state.clock.nowMs());
        if (replay) {
          return reply
            .status(replay.status)
            .header('idempotent-replayed', 'true')
            .header('idempotency-key', idempotencyKey)
            .send(replay.body);
        }
      }
      if (fault.error) throw fault.error;
      const info: RequestInfo = { id: requestId, idempotencyKey: idempotencyKey ?? null };
      const context: RequestContext = {
        state,
        account,
        key,
        params,
        pathParams: request.params as Record<string, string>,
        now: state.clock.now(),
        request: info,
        emit: (type, object, previous) => emitEvent(state, account, type, object, info, previous),
      };
      const result = await handler(context);
      const expandParam = params.expand;
      const body = applyExpand(
        result,
        Array.isArray(expandParam) ? (expandParam as string[]) : undefined,
        account,
      );
      if (scope && idempotencyKey) {
        // A copy: Stripe replays the response as it was sent, not the object as it is now.
        const sent = structuredClone(body);
        idempotency.finish(
          scope,
          idempotencyKey,
          { fingerprint, status: 200, body: sent },
          state.clock.nowMs(),
        );
        void reply.header('idempotency-key', idempotencyKey);
      }
      return reply.status(200).send(body);
    } catch (error) {
      const stripeError =
        error instanceof StripeError
          ? error
          : new StripeError(500, { type: 'api_error', message: String(error) });
      // Stripe stores server errors under the key but not validation failures.
      if (scope && idempotencyKey) {
        const store =
          stripeError.status >= 500
            ? { fingerprint, status: stripeError.status, body: stripeError.toJSON() }
            : undefined;
        idempotency.finish(scope, idempotencyKey, store, state.clock.nowMs());
      }
      return reply.status(stripeError.status).send(stripeError.toJSON());
    }
  }

  return { get: add('GET'), post: add('POST'), delete: add('DELETE') };
}

function authenticate(state: EmulatorState, request: FastifyRequest): ApiKey {
  const header = request.headers.authorization;
  let secret: string | undefined;
  if (header?.startsWith('Bearer ')) secret = header.slice(7).trim();
  else if (header?.startsWith('Basic ')) {
    secret = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0];
  }
  if (!secret) {
    throw authenticationError(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  const key = state.keys.get(secret);
  if (!key) throw authenticationError(`Invalid API Key provided: ${redact(secret)}`);
  return key;
}

function selectAccount(state: EmulatorState, key: ApiKey, stripeAccount: string | undefined): AccountState {
  const own = state.account(key.accountId);
  if (!own) throw authenticationError('This API key belongs to an account that no longer exists.');
  if (!stripeAccount || stripeAccount === own.id) return own;
  const target = state.account(stripeAccount);
  // Only a platform may act for the accounts connected to it, and only while they stay connected.
  if (!target || target.connectedTo !== own.id || key.kind === 'oauth_access') {
    throw new StripeError(403, {
      type: 'invalid_request_error',
      code: 'account_invalid',
      message: `The provided key '${redact(key.key)}' does not have access to account '${stripeAccount}' (or that account does not exist). Application access may have been revoked.`,
    });
  }
  return target;
}

function redact(secret: string): string {
  return `${secret.slice(0, 8)}${'*'.repeat(Math.max(0, secret.length - 12))}${secret.slice(-4)}`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export { invalidRequest };
