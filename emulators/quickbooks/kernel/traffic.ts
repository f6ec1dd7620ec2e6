import { faults } from './faults.js';

/**
 * QuickBooks' throttles, per company (realm): requests per minute, requests in flight, batch
 * requests per minute — over any of them, HTTP 429 with Fault 3001. `timeScale` shrinks the minute
 * (60 makes it one second) so tests and benchmarks reach the limits quickly; 0 turns a limit off.
 * Also the fault injection the admin API sets: 500s, timeouts before or after the work is done,
 * forced throttling and added latency, for the next N matching requests.
 */
export interface Limits {
  perMinute: number;
  concurrent: number;
  batchPerMinute: number;
  timeScale: number;
}

export const DEFAULT_LIMITS: Limits = { perMinute: 500, concurrent: 10, batchPerMinute: 40, timeScale: 1 };

/**
 * - `error`: 500 SystemFault, nothing done.
 * - `timeout`: the request hangs `holdMs`, then the connection drops; nothing done.
 * - `lost_response`: the work is done and committed, then the request hangs `holdMs` and the
 *   connection drops — the client never learns that QuickBooks created the invoice.
 * - `throttle`: 429 / 3001 regardless of the counters.
 * - `latency`: `latencyMs` added before the request is handled.
 */
export type FaultKind = 'error' | 'timeout' | 'lost_response' | 'throttle' | 'latency';

export interface FaultMatch {
  readonly method?: string | undefined;
  /** Lower-case path segment after the realm: `invoice`, `query`, `batch`, `cdc`, … */
  readonly entity?: string | undefined;
  readonly realmId?: string | undefined;
  /** Only requests whose URL path starts with this (`/v3/company/123/invoice`). */
  readonly pathPrefix?: string | undefined;
}

export interface FaultRule extends FaultMatch {
  readonly kind: FaultKind;
  remaining: number;
  readonly latencyMs: number;
  readonly holdMs: number;
}

export interface FaultDecision {
  readonly kind: Exclude<FaultKind, 'latency'> | undefined;
  readonly latencyMs: number;
  readonly holdMs: number;
}

interface Window {
  start: number;
  requests: number;
  batches: number;
}

export class QboTraffic {
  limits: Limits;
  private readonly windows = new Map<string, Window>();
  private readonly inFlight = new Map<string, number>();
  private faults: FaultRule[] = [];

  constructor(
    private readonly now: () => number,
    limits: Partial<Limits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Admits a request for a realm or throws the 429; the returned function ends it. */
  enter(realmId: string, isBatch: boolean): () => void {
    const { perMinute, concurrent, batchPerMinute, timeScale } = this.limits;
    const minuteMs = 60_000 / (timeScale > 0 ? timeScale : 1);
    const now = this.now();
    let window = this.windows.get(realmId);
    if (!window || now - window.start >= minuteMs) {
      window = { start: now, requests: 0, batches: 0 };
      this.windows.set(realmId, window);
    }
    const running = this.inFlight.get(realmId) ?? 0;
    if (perMinute > 0 && window.requests >= perMinute) throw faults.throttled();
    if (batchPerMinute > 0 && isBatch && window.batches >= batchPerMinute) throw faults.throttled();
    if (concurrent > 0 && running >= concurrent) throw faults.throttled();
    window.requests += 1;
    if (isBatch) window.batches += 1;
    this.inFlight.set(realmId, running + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight.set(realmId, (this.inFlight.get(realmId) ?? 1) - 1);
    };
  }

  /** Adds a rule; `holdMs` defaults to 1 s, `count` to every matching request until cleared. */
  addFault(
    rule: FaultMatch & { kind: FaultKind; count?: number | undefined; latencyMs?: number; holdMs?: number },
  ): void {
    const { count, latencyMs, holdMs, ...rest } = rule;
    this.faults.push({
      ...rest,
      latencyMs: latencyMs ?? 0,
      holdMs: holdMs ?? 1_000,
      remaining: count ?? Number.POSITIVE_INFINITY,
    });
  }

  listFaults(): readonly FaultRule[] {
    return this.faults;
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Resets counters and faults (the admin reset). */
  reset(): void {
    this.windows.clear();
    this.faults = [];
  }

  /** The fault to apply to this request, consuming one use of each matching rule. */
  take(request: Required<FaultMatch>): FaultDecision {
    let latencyMs = 0;
    let decided: FaultDecision | undefined;
    for (const rule of this.faults) {
      if (decided || rule.remaining <= 0 || !matches(rule, request)) continue;
      rule.remaining -= 1;
      if (rule.kind === 'latency') latencyMs += rule.latencyMs;
      else decided = { kind: rule.kind, latencyMs: 0, holdMs: rule.holdMs };
    }
    this.faults = this.faults.filter((rule) => rule.remaining > 0);
    return { kind: decided?.kind, holdMs: decided?.holdMs ?? 0, latencyMs };
  }
}

function matches(rule: FaultMatch, request: Required<FaultMatch>): boolean {
  if (rule.method && rule.method.toUpperCase() !== request.method?.toUpperCase()) return false;
  if (rule.entity && rule.entity.toLowerCase() !== request.entity?.toLowerCase()) return false;
  if (rule.pathPrefix && !(request.pathPrefix ?? '').startsWith(rule.pathPrefix)) return false;
  return !rule.realmId || rule.realmId === request.realmId;
}
