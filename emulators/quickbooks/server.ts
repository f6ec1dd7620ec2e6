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
import {
  checkSnapshot,
  type EmulatorParts,
  type QuickBooksEmulatorSnapshot,
  restoreSnapshot,
  takeSnapshot,
} from './snapshot.js';

export type { QuickBooksEmulatorSnapshot } from './snapshot.js';

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
  readonly oauth?: Partial<Omit<OAuthAuthorityOptions, 'clientId' | 'clientSecret' | 'now' | 'onChange'>>;
  /** Redirect URIs registered for the app (shorthand for `oauth.redirectUris`). */
  readonly redirectUris?: readonly string[];
  /** A clock to share with the code under test; a new one otherwise. */
  readonly clock?: EmulatorClock;
  /**
   * Start from a `snapshot()` instead of fresh companies: the same realms, objects, tokens and
   * credentials (its clientId, clientSecret and verifierToken win over these options; `companies` is
   * ignored). `webhooks.url`, `webhooks.format` and `limits`, when given, win over the snapshot.
   * A snapshot of another version is refused with an Error.
   */
  readonly restore?: QuickBooksEmulatorSnapshot;
  /**
   * Called after each request that changed state (a v3 write or kept `requestid` answer, OAuth
   * codes/tokens/revocation/consent, an `/_emulator` change), so the caller can save a snapshot.
   * Called often and synchronously: debounce there. An exception it throws is reported as a process
   * warning and does not fail the request.
   */
  readonly onChange?: () => void;
}

export const DEFAULT_CLIENT_ID = 'ABqboEmulatorClientId0000000000000000000000000000';
export const DEFAULT_CLIENT_SECRET = 'qboEmulatorClientSecret000000000000000000';
export const DEFAULT_VERIFIER_TOKEN = 'qbo-emulator-webhook-verifier-token';

/**
 * A stateful, in-memory stand-in for the QuickBooks Online Accounting API v3 (with Intuit's OAuth,
 * webhooks and a page acting as a person in QuickBooks), over real HTTP. One per process or test.
 */
export async function startQuickBooksEmulator(options: QuickBooksEmulatorOptions = {}) {
  const restore = options.restore === undefined ? undefined : checkSnapshot(options.restore);
  const clientId = restore?.clientId ?? options.clientId ?? DEFAULT_CLIENT_ID;
  const clientSecret = restore?.clientSecret ?? options.clientSecret ?? DEFAULT_CLIENT_SECRET;
  const verifierToken = restore?.verifierToken ?? options.verifierToken ?? DEFAULT_VERIFIER_TOKEN;
  const clock = options.clock ?? new EmulatorClock(restore?.clockOffsetMs);
  // A shared clock is moved up to the snapshot's time (never back: tokens must not revive).
  if (restore && options.clock) clock.advance(Math.max(0, restore.clockOffsetMs - clock.offset()));
  const notify = changeNotifier(options.onChange);
  const feed = new ChangeFeed();
  const state = new QboState(clock, feed);
  const realmIds: string[] = [];
  if (restore) realmIds.push(...state.restoreCompanies(restore.companies).map((company) => company.realmId));
  else
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
    onChange: notify,
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
  const parts: EmulatorParts = {
    clientId,
    clientSecret,
    verifierToken,
    clock,
    state,
    oauth,
    requestIds,
    webhooks,
    traffic,
  };
  if (restore) {
    restoreSnapshot(restore, parts, {
      webhookUrl: hook.url !== undefined,
      webhookFormat: hook.format !== undefined,
      limits: options.limits !== undefined,
    });
  }
  const closing = new AbortController();
  const companies = () => state.list();

  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
  const closed = closing.signal;
  registerApiRoutes(app, { state, traffic, tokens: oauth, requestIds, closing: closed, changed: notify });
  registerOAuthRoutes(app, oauth, companies);
  registerPersonRoutes(app, { authority: oauth, companies });
  registerAdmin(app, { state, traffic, oauth, webhooks, requestIds });
  // v3 and OAuth report their own changes; the control panel's are every answered non-GET.
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'GET' || reply.statusCode >= 400) return;
    if (request.url.startsWith('/_emulator/') && !request.url.startsWith('/_emulator/webhooks/idle'))
      notify();
  });
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
    /** Everything needed to start again where this left off (`restore`); plain JSON, a deep copy. */
    snapshot: (): QuickBooksEmulatorSnapshot => takeSnapshot(parts),
    close: () => app.close(),
  };
}

export type QuickBooksEmulator = Awaited<ReturnType<typeof startQuickBooksEmulator>>;

function changeNotifier(onChange: (() => void) | undefined): () => void {
  if (!onChange) return () => {};
  return () => {
    try {
      onChange();
    } catch (error) {
      process.emitWarning(`QuickBooks emulator onChange failed: ${String(error)}`);
    }
  };
}
