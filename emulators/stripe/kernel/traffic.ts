import { apiError, rateLimited, type StripeError } from './errors.js';

/**
 * Per-account rate limiting (Stripe test mode allows 25 requests/s) and fault injection, both set
 * through the admin API so tests and benchmarks can provoke 429s, 500s, timeouts and latency.
 */
export interface FaultRule {
  readonly kind: 'error' | 'timeout' | 'latency';
  /** For 'latency', the delay added; for 'timeout', how long the connection hangs before it is dropped. */
  /** How many matching requests the rule affects; Infinity until cleared. */
  remaining: number;
  readonly latencyMs: number;
  /** Only requests whose path starts with this are affected. */
  readonly pathPrefix: string;
  readonly method: string | undefined;
}

export class TrafficControl {
  ratePerSecond = 25;
  private readonly windows = new Map<string, { second: number; count: number }>();
  private faults: FaultRule[] = [];

  /** Throws the 429 Stripe returns once an account exceeds its requests in the current second. */
  admit(accountId: string, nowMs: number): void {
    if (this.ratePerSecond <= 0) return;
    const second = Math.floor(nowMs / 1000);
    const window = this.windows.get(accountId);
    if (!window || window.second !== second) {
      this.windows.set(accountId, { second, count: 1 });
      return;
    }
    window.count += 1;
    if (window.count > this.ratePerSecond) throw rateLimited();
  }

  addFault(rule: Omit<FaultRule, 'remaining'> & { count?: number }): void {
    this.faults.push({ ...rule, remaining: rule.count ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The fault to apply to this request, consuming one use of it. */
  take(
    method: string,
    path: string,
  ): { error?: StripeError; timeout?: boolean; latencyMs: number; holdMs: number } {
    let latencyMs = 0;
    for (const rule of this.faults) {
      if (rule.remaining <= 0 || !path.startsWith(rule.pathPrefix)) continue;
      if (rule.method && rule.method !== method) continue;
      rule.remaining -= 1;
      if (rule.kind === 'latency') latencyMs += rule.latencyMs;
      else if (rule.kind === 'timeout') return { timeout: true, latencyMs, holdMs: rule.latencyMs || 30_000 };
      else return { error: apiError(), latencyMs, holdMs: 0 };
    }
    this.faults = this.faults.filter((rule) => rule.remaining > 0);
    return { latencyMs, holdMs: 0 };
  }
}
