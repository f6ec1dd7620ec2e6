import Fastify, { type FastifyInstance } from 'fastify';
import qs from 'qs';
import { type ApiRouter, createApiRouter } from './kernel/router.js';
import { EmulatorState } from './kernel/state.js';
import { TrafficControl } from './kernel/traffic.js';
import { registerAdmin } from './admin.js';
import { restoreState, type StripeEmulatorSnapshot, takeSnapshot } from './snapshot.js';
import { registerBillingAdmin } from './resources/billing/tick.js';
import { billingResources } from './resources/billing/index.js';
import { coreResources } from './resources/core/index.js';
import { type RetryPolicy, WebhookDelivery } from './webhooks/delivery.js';

export interface StripeEmulatorOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** The platform's secret key; clients authenticate with it. */
  readonly secretKey?: string;
  /** The platform's Connect client id (`ca_…`) for the OAuth pages. */
  readonly clientId?: string;
  /** Requests per second per account before 429 (Stripe test mode: 25); 0 disables the limit. */
  readonly ratePerSecond?: number;
  /** Webhook retry schedule (default: 1 s doubling, 4 attempts, 10 s timeout); tests make it fast. */
  readonly webhookRetry?: Partial<RetryPolicy>;
  /** Where the OAuth pages send the user back when the request names no `redirect_uri`. */
  readonly oauthRedirectUri?: string;
  /**
   * Start from a saved state (`emulator.snapshot()`, possibly through JSON) instead of a fresh
   * platform. Its secret key and client id apply unless `secretKey`/`clientId` are given (a given
   * secret key is added; the snapshot's keys keep working). An unknown `version` throws.
   */
  readonly restore?: StripeEmulatorSnapshot;
  /**
   * Called after each request that may have changed state: any non-GET request to the API, the
   * OAuth and hosted invoice pages or the admin API that did not fail (402 and 5xx count: a declined
   * card is recorded, a server error is stored under its idempotency key), and after a webhook
   * delivery lowers an event's `pending_webhooks`. Synchronous and frequent: debounce in it.
   */
  readonly onChange?: () => void;
}

/** Everything a resource module may touch when it registers its routes. */
export interface EmulatorDeps {
  readonly app: FastifyInstance;
  readonly state: EmulatorState;
  readonly traffic: TrafficControl;
  readonly options: Required<Pick<StripeEmulatorOptions, 'secretKey' | 'clientId'>> &
    Pick<StripeEmulatorOptions, 'oauthRedirectUri'>;
  /** Webhook delivery: resources never call it, it listens to events; the admin API steers it. */
  readonly webhooks: WebhookDelivery;
  /** The emulator's own base URL, known once it listens (hosted pages link to it). */
  baseUrl(): string;
}

export type ResourceModule = (router: ApiRouter, deps: EmulatorDeps) => void;

export interface StripeEmulator {
  readonly url: string;
  readonly state: EmulatorState;
  readonly traffic: TrafficControl;
  readonly secretKey: string;
  readonly clientId: string;
  /** Delivery switches and `idle()`, for tests that receive webhooks. */
  readonly webhooks: WebhookDelivery;
  /** The whole state as a plain JSON value; pass it as `restore` to continue from it. */
  snapshot(): StripeEmulatorSnapshot;
  close(): Promise<void>;
}

export const DEFAULT_SECRET_KEY = 'sk_test_ledgerbridge_emulator_platform_key';
export const DEFAULT_CLIENT_ID = 'ca_ledgerbridgeEmulatorClient';

/**
 * A stateful stand-in for the Stripe API that the official SDK talks to unchanged
 * (`new Stripe(key, { host, port, protocol: 'http' })`). In memory; one per process or test.
 */
export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const secretKey = options.secretKey ?? options.restore?.secretKey ?? DEFAULT_SECRET_KEY;
  const clientId = options.clientId ?? options.restore?.clientId ?? DEFAULT_CLIENT_ID;
  const state = options.restore ? restoreState(options.restore, secretKey) : new EmulatorState({ secretKey });
  const traffic = new TrafficControl();
  traffic.ratePerSecond = options.ratePerSecond ?? 25;
  const webhooks = new WebhookDelivery(state, options.webhookRetry);

  const app = Fastify({
    logger: false,
    routerOptions: {
      querystringParser: (query) => qs.parse(query, { depth: 10, arrayLimit: 1000, parameterLimit: 5000 }),
    },
    bodyLimit: 2 * 1024 * 1024,
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, qs.parse(String(body), { depth: 10, arrayLimit: 1000, parameterLimit: 5000 }));
    },
  );
  // Stripe reads only form-encoded parameters; a JSON body counts as no parameters at all.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, _body, done) =>
    done(null, {}),
  );

  const onChange = options.onChange;
  if (onChange) {
    const notify = () => {
      try {
        onChange();
      } catch {
        // The listener's failure is its own: the request it reports on has already succeeded.
      }
    };
    app.addHook('onResponse', async (request, reply) => {
      if (mayHaveChanged(request.method, reply.statusCode)) notify();
    });
    webhooks.onEventChanged = notify;
  }

  let baseUrl = '';
  const deps: EmulatorDeps = {
    app,
    state,
    traffic,
    options: {
      secretKey,
      clientId,
      ...(options.oauthRedirectUri === undefined ? {} : { oauthRedirectUri: options.oauthRedirectUri }),
    },
    webhooks,
    baseUrl: () => baseUrl,
  };
  const router = createApiRouter(app, state, traffic);
  for (const register of [...coreResources, ...billingResources]) register(router, deps);
  registerAdmin(app, deps);
  registerBillingAdmin(app, deps);
  app.addHook('onClose', async () => webhooks.close());

  baseUrl = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return {
    url: baseUrl,
    state,
    traffic,
    secretKey,
    clientId,
    webhooks,
    snapshot: () => takeSnapshot(state, { secretKey, clientId }),
    close: () => app.close(),
  };
}

/** GETs only read (an Authorize page opened is not worth a save); refused requests change nothing. */
function mayHaveChanged(method: string, status: number): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  return status < 400 || status === 402 || status >= 500;
}
