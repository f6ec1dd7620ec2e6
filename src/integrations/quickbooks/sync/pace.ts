import type { QboBatchItem, QboClient, QboObject, QboRequestOptions } from '../types.js';

/**
 * Spreads one process's requests to a realm evenly under QuickBooks' per-minute limit, so a burst of
 * pushes waits here a few milliseconds each instead of earning a 429 and a minute's snooze. The job
 * queue's per-realm limits (enqueue.ts) bound concurrency across processes; this bounds the rate.
 *
 * Requests get evenly spaced start slots (minuteMs / requestsPerMinute apart), so no window of
 * QuickBooks' minute ever sees more than `requestsPerMinute` of ours.
 */
export interface RealmRate {
  /** Ours per realm, below QuickBooks' 500 to leave room for the pull and for people's other apps. */
  readonly requestsPerMinute: number;
  /** Batch requests per realm, below QuickBooks' 40 a minute (they count as requests too). */
  readonly batchesPerMinute?: number;
  /** The length of QuickBooks' minute (shortened by an emulator's timeScale in benchmarks). */
  readonly minuteMs?: number;
}

export const DEFAULT_REALM_RATE: RealmRate = {
  requestsPerMinute: 450,
  batchesPerMinute: 36,
  minuteMs: 60_000,
};

export class RealmPacer {
  private readonly nextSlot = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  private readonly batchCounts = new Map<string, number>();
  private readonly nextBatchSlot = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly batchIntervalMs: number;

  constructor(rate: RealmRate = DEFAULT_REALM_RATE) {
    const minuteMs = rate.minuteMs ?? 60_000;
    this.intervalMs = minuteMs / Math.max(1, rate.requestsPerMinute);
    this.batchIntervalMs =
      minuteMs / Math.max(1, rate.batchesPerMinute ?? DEFAULT_REALM_RATE.batchesPerMinute ?? 36);
  }

  /** Resolves at this request's start slot for the realm (a batch also waits for a batch slot). */
  async acquire(realmId: string, batch = false): Promise<void> {
    this.counts.set(realmId, (this.counts.get(realmId) ?? 0) + 1);
    const now = performance.now();
    let slot = Math.max(now, this.nextSlot.get(realmId) ?? now);
    if (batch) {
      this.batchCounts.set(realmId, (this.batchCounts.get(realmId) ?? 0) + 1);
      slot = Math.max(slot, this.nextBatchSlot.get(realmId) ?? now);
      this.nextBatchSlot.set(realmId, slot + this.batchIntervalMs);
    }
    this.nextSlot.set(realmId, slot + this.intervalMs);
    const wait = slot - now;
    if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /** Requests paced for the realm so far (every request of the push goes through here). */
  requests(realmId: string): number {
    return this.counts.get(realmId) ?? 0;
  }

  /** Of those, batch requests. */
  batches(realmId: string): number {
    return this.batchCounts.get(realmId) ?? 0;
  }

  /** The client with every request waiting for its slot. */
  pace(client: QboClient): QboClient {
    const realm = client.realmId;
    const paced = <T>(request: () => Promise<T>, batch = false) => this.acquire(realm, batch).then(request);
    return {
      realmId: realm,
      get calls() {
        return client.calls;
      },
      create: (entity: string, body: QboObject, options?: QboRequestOptions) =>
        paced(() => client.create(entity, body, options)),
      read: (entity: string, id: string) => paced(() => client.read(entity, id)),
      update: (entity: string, body: QboObject, options?: QboRequestOptions) =>
        paced(() => client.update(entity, body, options)),
      delete: (entity: string, ref: { Id: string; SyncToken: string }, options?: QboRequestOptions) =>
        paced(() => client.delete(entity, ref, options)),
      void: (entity: string, ref: { Id: string; SyncToken: string }, options?: QboRequestOptions) =>
        paced(() => client.void(entity, ref, options)),
      query: (text: string) => paced(() => client.query(text)),
      count: (text: string) => paced(() => client.count(text)),
      batch: (items: readonly QboBatchItem[], options?: QboRequestOptions) =>
        paced(() => client.batch(items, options), true),
      cdc: (entities: readonly string[], changedSince: Date) =>
        paced(() => client.cdc(entities, changedSince)),
    };
  }
}
