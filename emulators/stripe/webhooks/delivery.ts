import type { AccountState, EmulatorState, StripeObject } from '../kernel/state.js';
import { enabledEndpoints, endpointInternals, type WebhookEndpoint } from './endpoints.js';
import { endpointWants } from './event-types.js';
import { stripeSignature } from './signature.js';

/** How deliveries misbehave on purpose, to test a receiver: twice each, or out of order. */
export interface DeliveryMode {
  /** Every delivery is sent a second time, as Stripe's at-least-once delivery may. */
  duplicates: boolean;
  /** Hold deliveries in a window and send each window reversed or shuffled; false sends in order. */
  outOfOrder: false | 'reverse' | 'shuffle';
  /** A window is sent once it holds this many deliveries… */
  windowSize: number;
  /** …or this long after its first one arrived. */
  windowMs: number;
}

/** Retries on a non-2xx answer or a network error: baseDelayMs, then doubling, up to maxAttempts in all. */
export interface RetryPolicy {
  baseDelayMs: number;
  maxAttempts: number;
  /** How long an endpoint may take to answer before the attempt counts as failed. */
  timeoutMs: number;
}

export interface DeliveryAttempt {
  readonly event_id: string;
  readonly event_type: string;
  /** The connected account the event happened on; null for the endpoint owner's own events. */
  readonly account: string | null;
  readonly endpoint_id: string;
  readonly url: string;
  readonly attempt: number;
  readonly duplicate: boolean;
  readonly status: number | null;
  readonly error: string | null;
  readonly delivered: boolean;
  readonly at: number;
}

interface Delivery {
  readonly event: StripeObject;
  readonly endpoint: WebhookEndpoint;
  readonly owner: AccountState;
  readonly duplicate: boolean;
  attempts: number;
}

/**
 * Sends every event to the endpoints that want it, outside the API request that caused it: the
 * account's own endpoints get its events, a platform's `connect` endpoints get its connected
 * accounts' events. Signed like Stripe, retried with backoff, one delivery at a time per endpoint
 * (so in order unless told otherwise), and counted in the event's `pending_webhooks`.
 */
export class WebhookDelivery {
  private mode: DeliveryMode = { duplicates: false, outOfOrder: false, windowSize: 5, windowMs: 50 };
  private retry: RetryPolicy;
  private paused = false;
  private closed = false;
  private readonly held: Delivery[] = [];
  private window: Delivery[] = [];
  private windowTimer: NodeJS.Timeout | undefined;
  private readonly queues = new Map<string, Delivery[]>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly log: DeliveryAttempt[] = [];
  /** Endpoints per event that have not yet answered 2xx; the event's pending_webhooks is its size. */
  private readonly pending = new WeakMap<StripeObject, Set<string>>();
  private outstanding = 0;
  private waiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  /** Told when a delivery changed an event's `pending_webhooks`, outside any request (snapshots). */
  onEventChanged: (() => void) | undefined;

  constructor(
    private readonly state: EmulatorState,
    retry: Partial<RetryPolicy> = {},
  ) {
    this.retry = { baseDelayMs: 1000, maxAttempts: 4, timeoutMs: 10_000, ...retry };
    state.eventListeners.push((account, event) => this.onEvent(account, event));
  }

  setMode(mode: Partial<DeliveryMode>): DeliveryMode {
    this.mode = { ...this.mode, ...mode };
    if (!this.mode.outOfOrder) this.flushWindow();
    return { ...this.mode };
  }

  setRetry(retry: Partial<RetryPolicy>): RetryPolicy {
    this.retry = { ...this.retry, ...retry };
    return { ...this.retry };
  }

  /** Holds every delivery (retries included) until resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const delivery of this.held.splice(0)) this.dispatch(delivery);
  }

  /** Resolves once nothing is in flight, waiting to retry, held in a window or paused. */
  idle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  deliveries(): readonly DeliveryAttempt[] {
    return [...this.log];
  }

  clearDeliveries(): void {
    this.log.length = 0;
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    clearTimeout(this.windowTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.outstanding = 0;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private onEvent(account: AccountState, event: StripeObject): void {
    if (this.closed) return;
    const type = String(event.type);
    const targets: { endpoint: WebhookEndpoint; owner: AccountState }[] = [];
    for (const endpoint of enabledEndpoints(account, false)) targets.push({ endpoint, owner: account });
    const platform = account.connectedTo ? this.state.account(account.connectedTo) : undefined;
    if (platform)
      for (const endpoint of enabledEndpoints(platform, true)) targets.push({ endpoint, owner: platform });
    const wanted = targets.filter(({ endpoint }) => endpointWants(endpoint.enabled_events, type));
    if (wanted.length === 0) return;
    this.pending.set(event, new Set(wanted.map(({ endpoint }) => endpoint.id)));
    event.pending_webhooks = wanted.length;
    const deliveries: Delivery[] = [];
    for (const { endpoint, owner } of wanted) {
      deliveries.push({ event, endpoint, owner, duplicate: false, attempts: 0 });
      if (this.mode.duplicates) deliveries.push({ event, endpoint, owner, duplicate: true, attempts: 0 });
    }
    // Counted now, so idle() waits for them; sent only once the API request that caused the event
    // has been answered (recipients were chosen above, at the moment the event happened).
    this.outstanding += deliveries.length;
    setImmediate(() => {
      for (const delivery of deliveries) this.enqueue(delivery);
    });
  }

  private enqueue(delivery: Delivery): void {
    if (this.closed) return;
    if (!this.mode.outOfOrder) {
      this.dispatch(delivery);
      return;
    }
    this.window.push(delivery);
    if (this.window.length >= this.mode.windowSize) this.flushWindow();
    else this.windowTimer ??= setTimeout(() => this.flushWindow(), this.mode.windowMs);
  }

  private flushWindow(): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    const batch = this.window;
    this.window = [];
    if (this.mode.outOfOrder === 'shuffle') {
      for (let i = batch.length - 1; i > 0; i -= 1) {
        const j = Math.floor(Math.random() * (i + 1));
        [batch[i], batch[j]] = [batch[j] as Delivery, batch[i] as Delivery];
      }
    } else batch.reverse();
    for (const delivery of batch) this.dispatch(delivery);
  }

  private dispatch(delivery: Delivery): void {
    if (this.closed) return;
    if (this.paused) {
      this.held.push(delivery);
      return;
    }
    const queue = this.queues.get(delivery.endpoint.id);
    if (queue) {
      queue.push(delivery);
      return;
    }
    this.queues.set(delivery.endpoint.id, [delivery]);
    void this.drain(delivery.endpoint.id);
  }

  /** Sends one endpoint's deliveries one after another; the queue exists while it is draining. */
  private async drain(endpointId: string): Promise<void> {
    const queue = this.queues.get(endpointId) ?? [];
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (this.paused || this.closed) {
        this.held.push(next, ...queue.splice(0));
        break;
      }
      await this.send(next);
    }
    this.queues.delete(endpointId);
  }

  private async send(delivery: Delivery): Promise<void> {
    const { event, endpoint, owner } = delivery;
    // An endpoint deleted or disabled since the event stops receiving it, retries included.
    const secret = endpointInternals(endpoint)?.secret;
    if (!secret || !owner.find('webhook_endpoint', endpoint.id) || endpoint.status !== 'enabled') {
      this.finish();
      return;
    }
    delivery.attempts += 1;
    const payload = JSON.stringify(event, null, 2);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          accept: '*/*; q=0.5, application/xml',
          'cache-control': 'no-cache',
          // Signed with the wall clock, not the emulator's: receivers check freshness against theirs.
          'stripe-signature': stripeSignature(secret, payload, Math.floor(Date.now() / 1000)),
        },
        body: payload,
        signal: AbortSignal.any([AbortSignal.timeout(this.retry.timeoutMs), this.abort.signal]),
      });
      status = response.status;
      await response.body?.cancel();
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
    }
    if (this.closed) return;
    const delivered = status !== null && status >= 200 && status < 300;
    this.log.push({
      event_id: event.id,
      event_type: String(event.type),
      account: typeof event.account === 'string' ? event.account : null,
      endpoint_id: endpoint.id,
      url: endpoint.url,
      attempt: delivery.attempts,
      duplicate: delivery.duplicate,
      status,
      error,
      delivered,
      at: Date.now(),
    });
    if (delivered) {
      const waiting = this.pending.get(event);
      waiting?.delete(endpoint.id);
      event.pending_webhooks = waiting?.size ?? 0;
      this.onEventChanged?.();
      this.finish();
    } else if (delivery.attempts < this.retry.maxAttempts) {
      const timer = setTimeout(
        () => {
          this.retryTimers.delete(timer);
          this.dispatch(delivery);
        },
        this.retry.baseDelayMs * 2 ** (delivery.attempts - 1),
      );
      this.retryTimers.add(timer);
    } else {
      // Given up: the event keeps counting this endpoint in pending_webhooks, as Stripe's does.
      this.finish();
    }
  }

  private finish(): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
    if (this.outstanding === 0) for (const resolve of this.waiters.splice(0)) resolve();
  }
}
