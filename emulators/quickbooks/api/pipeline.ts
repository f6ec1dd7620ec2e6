import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Company } from '../kernel/company.js';
import { faults, QboFault } from '../kernel/faults.js';
import { REQUEST_ID_MAX_LENGTH, type RequestIdStore, type StoredResponse } from '../kernel/requestids.js';
import type { QboState } from '../kernel/state.js';
import type { QboTraffic } from '../kernel/traffic.js';
import type { Json } from '../entities/context.js';

/** What the REST layer needs from the OAuth authority: is this bearer token good, and for which realm. */
export interface TokenVerifier {
  verifyAccessToken(token: string): { realmId: string } | { error: 'invalid' | 'expired' };
}

export interface ApiDeps {
  readonly state: QboState;
  readonly traffic: QboTraffic;
  readonly tokens: TokenVerifier;
  readonly requestIds: RequestIdStore;
  /** Aborted when the emulator closes, letting requests held by timeout faults go. */
  readonly closing: AbortSignal;
  /** Called once a request may have changed state: a write answered, or a `requestid` answer kept. */
  readonly changed?: () => void;
}

export interface ApiCall {
  readonly company: Company;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The raw request body (JSON text, or the query text for `application/text`). */
  readonly body: string | undefined;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Every `/v3/company/{realmId}/…` request in QuickBooks' order: authenticate the bearer token for
 * the realm (401/403), throttle (429), injected faults, `requestid` replay, the work itself, then
 * `time` added to the answer. Business faults are answered with their status (400 mostly).
 */
export async function handleApiCall(
  deps: ApiDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { segment: string; batch?: boolean },
  work: (call: ApiCall) => Json,
): Promise<FastifyReply> {
  const params = request.params as Record<string, string>;
  const query = request.query as Record<string, string | undefined>;
  const realmId = params.realmId ?? '';
  void reply.header('intuit_tid', randomUUID()).header('content-type', 'application/json;charset=UTF-8');
  let release: (() => void) | undefined;
  let settle: ((response: StoredResponse | undefined) => void) | undefined;
  try {
    const company = authenticate(deps, request, realmId);
    release = deps.traffic.enter(realmId, options.batch === true);
    const fault = deps.traffic.take({
      method: request.method,
      entity: options.segment,
      realmId,
      pathPrefix: request.url.split('?')[0] ?? request.url,
    });
    if (fault.kind === 'throttle') throw faults.throttled();

    // The id is claimed before the (possibly slow) work, so a retry racing it waits for its answer.
    const requestId = query.requestid;
    if (requestId !== undefined) {
      if (requestId.length > REQUEST_ID_MAX_LENGTH) {
        throw faults.business(
          `requestid cannot be longer than ${REQUEST_ID_MAX_LENGTH} characters`,
          'requestid',
        );
      }
      const earlier = await deps.requestIds.lookup(realmId, requestId);
      if (earlier) return await reply.status(earlier.status).send(earlier.body);
      settle = deps.requestIds.claim(realmId, requestId);
    }
    if (fault.latencyMs > 0) await sleep(fault.latencyMs, deps.closing);
    if (fault.kind === 'error') throw faults.system();
    if (fault.kind === 'timeout') {
      settle?.(undefined);
      settle = undefined;
      return await drop(deps, request, reply, fault.holdMs);
    }

    let status = 200;
    let body: Json;
    try {
      body = work({
        company,
        query,
        body: typeof request.body === 'string' ? request.body : undefined,
        params,
      });
    } catch (error) {
      if (!(error instanceof QboFault) || error.status >= 500) throw error;
      status = error.status;
      body = error.toJSON();
    }
    const answer = { ...body, time: deps.state.timestamp() };
    const kept = settle !== undefined;
    settle?.({ status, body: answer });
    settle = undefined;
    // Before a lost_response drops the connection: the work is committed either way.
    if (kept || (request.method !== 'GET' && status < 400)) deps.changed?.();
    if (fault.kind === 'lost_response') return await drop(deps, request, reply, fault.holdMs);
    return await reply.status(status).send(answer);
  } catch (error) {
    settle?.(undefined);
    const fault = error instanceof QboFault ? error : faults.system();
    if (!(error instanceof QboFault)) request.log.error({ err: error }, 'QuickBooks emulator failure');
    return reply.status(fault.status).send({ ...fault.toJSON(), time: deps.state.timestamp() });
  } finally {
    release?.();
  }
}

function authenticate(deps: ApiDeps, request: FastifyRequest, realmId: string): Company {
  const header = request.headers.authorization;
  const token = header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
  if (!token) throw faults.authentication('Token invalid: no bearer token in the Authorization header');
  const verdict = deps.tokens.verifyAccessToken(token);
  if ('error' in verdict) {
    throw faults.authentication(verdict.error === 'expired' ? 'Token expired' : 'Token invalid');
  }
  const company = deps.state.company(realmId);
  if (verdict.realmId !== realmId || !company) throw faults.authorization();
  return company;
}

/** The connection hangs, then is dropped without an answer, as a timed-out upstream would be. */
async function drop(
  deps: ApiDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  holdMs: number,
): Promise<FastifyReply> {
  await sleep(holdMs, deps.closing);
  request.raw.socket.destroy();
  return reply;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Parses a JSON request body as QuickBooks' reader does: unparsable text is a 2010 fault. */
export function parseJsonBody(body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw faults.unsupportedProperty(
      'failed to parse json object; a property specified is unsupported or invalid',
    );
  }
}
