import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';

/**
 * A stand-in for the few Stripe endpoints the connection flow calls — OAuth token and deauthorize,
 * GET /v1/account, webhook endpoint create/delete — so tests can check exactly what OUR client sends
 * (form fields, auth, Stripe-Account, idempotency keys). It is not a Stripe emulator: it knows one
 * platform key, some account keys, and authorization codes the test hands out. The Stripe emulator
 * (emulators/stripe) replaces it once it is ready.
 */
export interface PeerRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly form: Record<string, unknown>;
}

export interface StripeOAuthPeer {
  readonly url: string;
  readonly platformKey: string;
  readonly clientId: string;
  /** Every request received, in order. */
  readonly requests: PeerRequest[];
  /** A secret or restricted key that reaches `accountId` directly. */
  addAccountKey(key: string, accountId: string): void;
  /** An authorization code that, exchanged once, connects `accountId` to the platform. */
  issueCode(accountId: string): string;
  /** Accounts the platform is currently authorized on. */
  readonly connected: Set<string>;
  /** Webhook endpoints that exist, by id. */
  readonly endpoints: Map<string, { account: string; url: string; secret: string; events: unknown }>;
  /** While set, every request answers this HTTP status with a Stripe api_error. */
  failWith: number | undefined;
  close(): Promise<void>;
}

export async function startStripeOAuthPeer(): Promise<StripeOAuthPeer> {
  const platformKey = `sk_test_platform${randomBytes(8).toString('hex')}`;
  const clientId = `ca_${randomBytes(8).toString('hex')}`;
  const accountKeys = new Map<string, string>();
  const codes = new Map<string, string>();
  const requests: PeerRequest[] = [];
  const connected = new Set<string>();
  const endpoints: StripeOAuthPeer['endpoints'] = new Map();
  let endpointCount = 0;
  let failWith: number | undefined;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://peer');
      const form = qs.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      requests.push({ method: request.method ?? '', path: url.pathname, headers: request.headers, form });
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      const apiError = (status: number, type: string, message: string) =>
        send(status, { error: { type, message } });
      if (failWith !== undefined) return apiError(failWith, 'api_error', 'peer failure');

      const key = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const onBehalf = request.headers['stripe-account'];
      const route = `${request.method} ${url.pathname}`;

      if (route === 'POST /oauth/token' || route === 'POST /oauth/deauthorize') {
        if (key !== platformKey) return apiError(401, 'invalid_request_error', 'Invalid API Key provided');
        if (route === 'POST /oauth/token') {
          const account = typeof form.code === 'string' ? codes.get(form.code) : undefined;
          if (form.grant_type !== 'authorization_code' || !account) {
            return send(400, {
              error: 'invalid_grant',
              error_description: 'Authorization code does not exist',
            });
          }
          codes.delete(form.code as string);
          connected.add(account);
          return send(200, {
            access_token: `sk_test_oauth${randomBytes(8).toString('hex')}`,
            refresh_token: `rt_${randomBytes(8).toString('hex')}`,
            token_type: 'bearer',
            stripe_publishable_key: 'pk_test_peer',
            stripe_user_id: account,
            scope: 'read_write',
            livemode: false,
          });
        }
        const account = form.stripe_user_id as string;
        if (form.client_id !== clientId || !connected.delete(account)) {
          return send(401, { error: 'invalid_client', error_description: `Not connected to ${account}` });
        }
        return send(200, { stripe_user_id: account });
      }

      // /v1: an account key reaches its account; the platform key reaches a connected account.
      const account =
        key === platformKey && typeof onBehalf === 'string' && connected.has(onBehalf)
          ? onBehalf
          : key !== undefined && onBehalf === undefined
            ? accountKeys.get(key)
            : undefined;
      if (!account) return apiError(401, 'invalid_request_error', 'Invalid API Key provided');
      if (route === 'GET /v1/account') return send(200, { id: account, object: 'account' });
      if (route === 'POST /v1/webhook_endpoints') {
        const id = `we_${++endpointCount}`;
        const secret = `whsec_peer${randomBytes(8).toString('hex')}`;
        endpoints.set(id, { account, url: form.url as string, secret, events: form.enabled_events });
        return send(200, { id, object: 'webhook_endpoint', url: form.url, secret, status: 'enabled' });
      }
      const deleted = /^DELETE \/v1\/webhook_endpoints\/(\w+)$/.exec(route)?.[1];
      if (deleted && endpoints.get(deleted)?.account === account) {
        endpoints.delete(deleted);
        return send(200, { id: deleted, object: 'webhook_endpoint', deleted: true });
      }
      return apiError(404, 'invalid_request_error', `Unrecognized request URL (${route})`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    platformKey,
    clientId,
    requests,
    connected,
    endpoints,
    addAccountKey: (key, accountId) => void accountKeys.set(key, accountId),
    issueCode(accountId) {
      const code = `ac_${randomBytes(8).toString('hex')}`;
      codes.set(code, accountId);
      return code;
    },
    get failWith() {
      return failWith;
    },
    set failWith(status) {
      failWith = status;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
