import { randomUUID } from 'node:crypto';
import type { ChangeEvent, ChangeFeed } from '../kernel/changes.js';
import {
  INTUIT_RETRY_DELAYS_MS,
  type DeliveryAttempt,
  type DroppedChange,
  type QboWebhookOptions,
  type WebhookSwitches,
} from './types.js';
import { defaultSource, intuitSignature, outgoing, renderPayload, type OutgoingEvent } from './payload.js';

const MAX_EVENTS_PER_POST = 100;
const LOG_LIMIT = 500;

interface Post {
  readonly id: string;
  readonly body: string;
  readonly eventIds: readonly string[];
  readonly duplicate: boolean;
  attempts: number;
}

/**
 * Intuit's webhook delivery for one app: every change any company publishes on the feed gathers
 * for `batchWindowMs`, then leaves in POSTs of up to 100 events (companies mixed), signed with
 * `intuit-signature`. One POST is outstanding at a time: while one keeps failing, later ones wait.
 */
export class QboWebhookDelivery {
  private endpoint: string | undefined;
  private readonly switches: WebhookSwitches;
  private dropWhen: ((change: ChangeEvent) => boolean) | undefined;
  private readonly verifierToken: string;
  private readonly source: string;
  private readonly retryDelaysMs: readonly number[];
  private readonly batchWindowMs: number;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly connected: (realmId: string) => boolean;
  private buffer: OutgoingEvent[] = [];
  private windowTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly queue: Post[] = [];
  private sending: Promise<void> | undefined;
  private readonly log: DeliveryAttempt[] = [];
  private readonly droppedLog: DroppedChange[] = [];
  private waiters: (() => void)[] = [];
  private closed = false;
  private readonly abort = new AbortController();
  private readonly unsubscribe: () => void;

  constructor(feed: ChangeFeed, options: QboWebhookOptions) {
    this.verifierToken = options.verifierToken;
    this.source = options.source ?? defaultSource(options.verifierToken);
    this.retryDelaysMs = options.retryDelaysMs?.length ? options.retryDelaysMs : INTUIT_RETRY_DELAYS_MS;
    this.batchWindowMs = options.batchWindowMs ?? 200;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
    this.connected = options.connected ?? (() => true);
    this.switches = {
      format: options.format ?? 'cloudevents',
      duplicate: false,
      shuffle: false,
      paused: false,
      dropNext: 0,
    };
    this.unsubscribe = feed.subscribe((change) => this.onChange(change));
  }

  /** The app's one webhook endpoint; undefined turns webhooks off and forgets what was waiting. */
  setEndpoint(url: string | undefined): void {
    this.endpoint = url;
    if (url === undefined) {
      this.buffer = [];
      this.queue.length = 0;
      clearTimeout(this.windowTimer);
      clearTimeout(this.retryTimer);
      this.windowTimer = this.retryTimer = undefined;
      this.settle();
    } else this.pump();
  }

  getEndpoint(): string | undefined {
    return this.endpoint;
  }

  getSwitches(): WebhookSwitches {
    return { ...this.switches };
  }

  setSwitches(change: Partial<WebhookSwitches>): WebhookSwitches {
    const wasPaused = this.switches.paused;
    Object.assign(this.switches, change);
    if (wasPaused && !this.switches.paused) {
      if (this.buffer.length > 0) this.openWindow();
      this.pump();
    }
    return this.getSwitches();
  }

  /** Changes the predicate accepts are never delivered (in process only); undefined clears it. */
  drop(predicate: ((change: ChangeEvent) => boolean) | undefined): void {
    this.dropWhen = predicate;
  }

  deliveries(): readonly DeliveryAttempt[] {
    return [...this.log];
  }

  dropped(): readonly DroppedChange[] {
    return [...this.droppedLog];
  }

  clearLog(): void {
    this.log.length = 0;
    this.droppedLog.length = 0;
  }

  /** Resolves once nothing is gathering, waiting, in flight or held by `paused`. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    this.abort.abort();
    clearTimeout(this.windowTimer);
    clearTimeout(this.retryTimer);
    await this.sending;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private onChange(change: ChangeEvent): void {
    if (this.closed || this.endpoint === undefined || !this.connected(change.realmId)) return;
    const dropByCount = this.switches.dropNext > 0;
    if (dropByCount || this.dropWhen?.(change)) {
      if (dropByCount) this.switches.dropNext -= 1;
      this.record(this.droppedLog, {
        realm_id: change.realmId,
        entity: change.entity,
        id: change.id,
        operation: change.operation,
        at: new Date().toISOString(),
      });
      return;
    }
    this.buffer.push(outgoing(change));
    if (!this.switches.paused) this.openWindow();
  }

  private openWindow(): void {
    if (this.windowTimer !== undefined) return;
    this.windowTimer = setTimeout(() => {
      this.windowTimer = undefined;
      this.flush();
    }, this.batchWindowMs);
  }

  /** Turns the gathered changes into POSTs, in order unless `shuffle` says otherwise. */
  private flush(): void {
    if (this.switches.paused) return;
    const events = this.buffer;
    this.buffer = [];
    const { shuffle, duplicate, format } = this.switches;
    let groups: OutgoingEvent[][] = [];
    if (shuffle) {
      groups = events.map((event) => [event]);
      if (shuffle === 'reverse') groups.reverse();
      else groups.sort(() => Math.random() - 0.5);
    } else {
      for (let i = 0; i < events.length; i += MAX_EVENTS_PER_POST)
        groups.push(events.slice(i, i + MAX_EVENTS_PER_POST));
    }
    for (const group of groups) {
      const post = {
        id: randomUUID(),
        body: renderPayload(group, format, this.source),
        eventIds: group.map((e) => e.eventId),
      };
      this.queue.push({ ...post, duplicate: false, attempts: 0 });
      if (duplicate) this.queue.push({ ...post, duplicate: true, attempts: 0 });
    }
    this.pump();
  }

  /** Sends the POST at the head of the queue unless one is in flight, waiting to retry, or paused. */
  private pump(): void {
    if (this.closed || this.sending || this.retryTimer || this.switches.paused) return this.settle();
    const post = this.queue[0];
    const url = this.endpoint;
    if (!post || url === undefined) return this.settle();
    this.sending = this.send(post, url).finally(() => {
      this.sending = undefined;
      this.pump();
    });
  }

  private async send(post: Post, url: string): Promise<void> {
    post.attempts += 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'intuit-signature': intuitSignature(this.verifierToken, post.body),
        },
        body: post.body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.abort.signal]),
      });
      status = response.status;
      await response.body?.cancel();
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
    }
    if (this.closed) return;
    const delivered = status !== null && status >= 200 && status < 300;
    this.record(this.log, {
      post_id: post.id,
      attempt: post.attempts,
      url,
      duplicate: post.duplicate,
      event_ids: post.eventIds,
      status,
      error,
      delivered,
      at: new Date().toISOString(),
    });
    if (this.queue[0] !== post) return; // the endpoint was reset meanwhile
    if (delivered || post.attempts >= this.maxAttempts) {
      this.queue.shift();
      return;
    }
    const delay = this.retryDelaysMs[Math.min(post.attempts, this.retryDelaysMs.length) - 1] ?? 0;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
  }

  private record<T>(log: T[], entry: T): void {
    log.push(entry);
    if (log.length > LOG_LIMIT) log.splice(0, log.length - LOG_LIMIT);
  }

  private isIdle(): boolean {
    return (
      this.closed ||
      (this.buffer.length === 0 &&
        this.windowTimer === undefined &&
        this.queue.length === 0 &&
        this.sending === undefined &&
        this.retryTimer === undefined)
    );
  }

  private settle(): void {
    if (this.isIdle()) for (const resolve of this.waiters.splice(0)) resolve();
  }
}
