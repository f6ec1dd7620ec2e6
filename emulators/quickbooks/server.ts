import Fastify from 'fastify';
import { registerAdmin } from './admin.js';
import { registerApiRoutes } from './api/routes.js';
import { EmulatorClock } from './kernel/clock.js';
import { ChangeFeed } from './kernel/changes.js';
import { RequestIdStore } from './kernel/requestids.js';
import { QboState } from './kernel/state.js';
import { DEFAULT_LIMITS, type Limits, QboTraffic } from './kernel/traffic.js';
import { OAuthAuthority, type OAuthAuthorityOptions, registerOAuthRoutes } from './oauth/index.js';
import { registerPersonRoutes } from './person/index.js';
import { QboWebhookDelivery, type WebhookFormat } from './webhooks/index.js';

export interface QuickBooksEmulatorOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Signs webhook POSTs (`intuit-signature`). */
  readonly verifierToken?: string;
  /** Sandbox companies created at start ("Sandbox Company US 1", …); default 1. */
  readonly companies?: number;
  /** Per-realm throttles; `false` turns them all off. Defaults: 500/min, 10 concurrent, 40 batches/min. */
  readonly limits?: Partial<Limits> | false;
  readonly webhooks?: {
    readonly url?: string;
    readonly format?: WebhookFormat;
    readonly retryDelaysMs?: readonly number[];
    readonly batchWindowMs?: number;
    readonly timeoutMs?: number;
    readonly maxAttempts?: number;
  };
  /** Token lifetimes and the like, passed to the OAuth authority. */
  readonly oauth?: Partial<Omit<OAuthAuthorityOptions, 'clientId' | 'clientSecret' | 'now'>>;
  /** Redirect URIs registered for the app (shorthand for `oauth.redirectUris`). */
  readonly redirectUris?: readonly string[];
  /** A clock to share with the code under test; a new one otherwise. */
  readonly clock?: EmulatorClock;
}

export const DEFAULT_CLIENT_ID = 'ABqboEmulatorClientId0000000000000000000000000000';
export const DEFAULT_CLIENT_SECRET = 'qboEmulatorClientSecret000000000000000000';
export const DEFAULT_VERIFIER_TOKEN = 'qbo-emulator-webhook-verifier-token';

/**
 * A stateful, in-memory stand-in for the QuickBooks Online Accounting API v3 (with Intuit's OAuth,
 * webhooks and a page acting as a person in QuickBooks), over real HTTP. One per process or test.
 */
export async function startQuickBooksEmulator(options: QuickBooksEmulatorOptions = {}) {
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
  const verifierToken = options.verifierToken ?? DEFAULT_VERIFIER_TOKEN;
  const clock = options.clock ?? new EmulatorClock();
  const feed = new ChangeFeed();
  const state = new QboState(clock, feed);
  const realmIds: string[] = [];
  for (let index = 0; index < (options.companies ?? 1); index += 1)
    realmIds.push(state.createCompany().realmId);

  const limits =
    options.limits === false
      ? { ...DEFAULT_LIMITS, perMinute: 0, concurrent: 0, batchPerMinute: 0 }
      : { ...DEFAULT_LIMITS, ...options.limits };
  const traffic = new QboTraffic(() => clock.now(), limits);
  const oauth = new OAuthAuthority({
    clientId,
    clientSecret,
    now: () => clock.now(),
    ...(options.redirectUris ? { redirectUris: options.redirectUris } : {}),
    ...options.oauth,
  });
  const hook = options.webhooks ?? {};
  const webhooks = new QboWebhookDelivery(feed, {
    verifierToken,
    connected: (realmId) => oauth.hasConnection(realmId),
    ...(hook.format ? { format: hook.format } : {}),
    ...(hook.retryDelaysMs ? { retryDelaysMs: hook.retryDelaysMs } : {}),
    ...(hook.batchWindowMs === undefined ? {} : { batchWindowMs: hook.batchWindowMs }),
    ...(hook.timeoutMs === undefined ? {} : { timeoutMs: hook.timeoutMs }),
    ...(hook.maxAttempts === undefined ? {} : { maxAttempts: hook.maxAttempts }),
  });
  if (hook.url) webhooks.setEndpoint(hook.url);
  const requestIds = new RequestIdStore();
  const closing = new AbortController();
  const companies = () => state.list();

  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
  registerApiRoutes(app, { state, traffic, tokens: oauth, requestIds, closing: closing.signal });
  registerOAuthRoutes(app, oauth, companies);
  registerPersonRoutes(app, { authority: oauth, companies });
  registerAdmin(app, { state, traffic, oauth, webhooks, requestIds });
  app.addHook('onClose', async () => {
    closing.abort();
    await webhooks.close();
  });

  const url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return {
    url,
    clientId,
    clientSecret,
    verifierToken,
    /** The companies created at start; `state.list()` has every company. */
    realmIds: realmIds as readonly string[],
    state,
    clock,
    oauth,
    webhooks,
    traffic,
    app,
    /** A valid access token for a company, without the consent flow. */
    tokenFor: (realmId: string) => oauth.mintAccessToken(realmId),
    close: () => app.close(),
  };
}

export type QuickBooksEmulator = Awaited<ReturnType<typeof startQuickBooksEmulator>>;
