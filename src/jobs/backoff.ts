export interface BackoffOptions {
  /** Delay before the second attempt, before jitter. */
  baseMs?: number;
  /** Ceiling of the exponential delay. */
  maxMs?: number;
  /**
   * Fraction of the delay that is randomized, 0..1: the delay is drawn from [d·(1−jitter), d]. Some
   * jitter keeps jobs that failed together (an outage) from all retrying in the same instant.
   */
  jitter?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

export const defaultBackoff = { baseMs: 1_000, maxMs: 3_600_000, jitter: 0.5 } as const;

/** Delay after the `attempt`-th attempt failed (attempt ≥ 1): base·2^(attempt−1), capped, jittered. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? defaultBackoff.baseMs;
  const maxMs = options.maxMs ?? defaultBackoff.maxMs;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? defaultBackoff.jitter));
  const random = options.random ?? Math.random;
  // Cap the exponent first: 2 ** 1100 is Infinity and Infinity · 0 would be NaN.
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 64));
  const delay = exponential * (1 - jitter * random());
  return Math.max(0, Math.round(delay));
}
