import type { EmulatorClock } from './kernel/clock.js';
import type { CompanySnapshot } from './kernel/company.js';
import type { RequestIdSnapshot, RequestIdStore } from './kernel/requestids.js';
import type { QboState } from './kernel/state.js';
import type { FaultRule, Limits, QboTraffic } from './kernel/traffic.js';
import type { OAuthAuthority, OAuthSnapshot } from './oauth/index.js';
import type { QboWebhookDelivery, WebhookSwitches } from './webhooks/index.js';

/**
 * The whole emulator as one plain JSON value, so a sandbox can write it to disk and start again
 * where it stopped (`startQuickBooksEmulator({ restore })`). It holds every company (objects with
 * their Ids, SyncTokens and MetaData, Id and DocNumber counters, tombstones and change times that
 * CDC reads — the change feed itself is only pub/sub and keeps nothing), the clock's offset, the
 * OAuth store (codes, grants, access and refresh tokens with their supersession times, pending
 * consent pages), the webhook settings, injected faults and limits, and the kept `requestid`
 * answers.
 *
 * Deliberately left out, as a restart loses them: webhook POSTs gathering, queued or waiting to be
 * retried, and the delivery/dropped logs; rate-limit windows and in-flight counts; the in-process
 * `webhooks.drop` predicate; a `requestid` whose first request was still running (it never
 * answered); the person pages' cached tokens (they mint new ones). Token lifetimes, retry delays and
 * the like are start options, not state: pass the same ones again.
 */
export interface QuickBooksEmulatorSnapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  /** Wall-clock time of the snapshot, for people reading the file. */
  readonly savedAt: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly verifierToken: string;
  /** `EmulatorClock.offset()`: how far the emulator's clock ran ahead of the wall clock. */
  readonly clockOffsetMs: number;
  readonly companies: CompanySnapshot[];
  readonly oauth: OAuthSnapshot;
  readonly requestIds: RequestIdSnapshot;
  readonly webhooks: { readonly url: string | null; readonly switches: WebhookSwitches };
  readonly traffic: { readonly limits: Limits; readonly faults: FaultSnapshot[] };
}

/** A fault rule; `remaining: null` is "until cleared" (Infinity does not survive JSON). */
export type FaultSnapshot = Omit<FaultRule, 'remaining'> & { remaining: number | null };

export const SNAPSHOT_VERSION = 1;

export interface EmulatorParts {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly verifierToken: string;
  readonly clock: EmulatorClock;
  readonly state: QboState;
  readonly oauth: OAuthAuthority;
  readonly requestIds: RequestIdStore;
  readonly webhooks: QboWebhookDelivery;
  readonly traffic: QboTraffic;
}

/** A deep copy: the emulator may keep changing while the caller serializes it later. */
export function takeSnapshot(parts: EmulatorParts): QuickBooksEmulatorSnapshot {
  return structuredClone({
    version: SNAPSHOT_VERSION,
    savedAt: new Date().toISOString(),
    clientId: parts.clientId,
    clientSecret: parts.clientSecret,
    verifierToken: parts.verifierToken,
    clockOffsetMs: parts.clock.offset(),
    companies: [...parts.state.companies.values()].map((company) => company.toSnapshot()),
    oauth: parts.oauth.store.snapshot(),
    requestIds: parts.requestIds.snapshot(),
    webhooks: { url: parts.webhooks.getEndpoint() ?? null, switches: parts.webhooks.getSwitches() },
    traffic: {
      limits: { ...parts.traffic.limits },
      faults: parts.traffic.listFaults().map((rule) => ({
        ...rule,
        remaining: Number.isFinite(rule.remaining) ? rule.remaining : null,
      })),
    },
  });
}

/** The snapshot to restore, copied so the emulator shares nothing with the caller; refuses others. */
export function checkSnapshot(value: QuickBooksEmulatorSnapshot): QuickBooksEmulatorSnapshot {
  const version = (value as { version?: unknown } | null)?.version;
  if (version !== SNAPSHOT_VERSION) {
    throw new Error(
      `cannot restore the QuickBooks emulator from a snapshot of version ${JSON.stringify(version)}: ` +
        `this emulator reads version ${SNAPSHOT_VERSION} only`,
    );
  }
  if (!Array.isArray(value.companies) || typeof value.oauth !== 'object' || value.oauth === null)
    throw new Error('cannot restore the QuickBooks emulator: the snapshot has no companies or OAuth state');
  return structuredClone(value);
}

/**
 * Puts a checked snapshot's state into freshly built parts (companies and clock are restored by the
 * caller before). Explicit start options win over the snapshot for the webhook URL and format
 * and for limits: they describe where the app is now.
 */
export function restoreSnapshot(
  snapshot: QuickBooksEmulatorSnapshot,
  parts: EmulatorParts,
  explicit: { readonly webhookUrl: boolean; readonly webhookFormat: boolean; readonly limits: boolean },
): void {
  parts.oauth.store.restore(snapshot.oauth);
  parts.requestIds.restore(snapshot.requestIds);
  const { format, ...switches } = snapshot.webhooks.switches;
  parts.webhooks.setSwitches({ ...switches, ...(explicit.webhookFormat ? {} : { format }) });
  if (!explicit.webhookUrl && snapshot.webhooks.url !== null)
    parts.webhooks.setEndpoint(snapshot.webhooks.url);
  if (!explicit.limits) parts.traffic.limits = { ...parts.traffic.limits, ...snapshot.traffic.limits };
  for (const { remaining, ...rule } of snapshot.traffic.faults)
    parts.traffic.addFault({ ...rule, count: remaining ?? undefined });
}
