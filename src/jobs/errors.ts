/**
 * How a handler tells the worker what to do with a failure. Anything else a handler throws is
 * treated as retryable: a bug or an outage should not lose work, and max_attempts bounds the cost.
 */
export class RetryableJobError extends Error {
  override readonly name: string = 'RetryableJobError';
}

/** The job can never succeed as is (bad payload, a 4xx other than 429): dead-letter it now. */
export class PermanentJobError extends Error {
  override readonly name: string = 'PermanentJobError';
}

/** Retry no sooner than `retryAfterMs` from now, e.g. the Retry-After of an HTTP 429. */
export class RetryAfterError extends Error {
  override readonly name: string = 'RetryAfterError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
      throw new RangeError(`retryAfterMs must be a non-negative number, got ${retryAfterMs}`);
    }
  }
}

/**
 * Not now, and not the job's fault: queue it again `snoozeMs` from now WITHOUT using up an attempt
 * (e.g. its integration waits for a person to re-authorize). A job can snooze any number of times, so
 * throw this only for waits that something outside the job ends; everything else should retry.
 */
export class SnoozeJobError extends Error {
  override readonly name: string = 'SnoozeJobError';
  constructor(
    message: string,
    readonly snoozeMs: number,
  ) {
    super(message);
    if (!Number.isFinite(snoozeMs) || snoozeMs < 0) {
      throw new RangeError(`snoozeMs must be a non-negative number, got ${snoozeMs}`);
    }
  }
}

/**
 * A state change the transition table does not allow: the domain's error, with machine 'job', so the
 * HTTP layer maps it (code 'illegal_transition') to 409 like every other state machine's.
 */
export { IllegalTransitionError } from '../domain/errors.js';

/** The worker no longer holds the job's lease (it expired and another worker may have it). */
export class LeaseLostError extends Error {
  override readonly name: string = 'LeaseLostError';
  constructor(readonly jobId: string) {
    super(`lease on job ${jobId} was lost`);
  }
}

const MAX_ERROR_LENGTH = 1000;

// Error messages from HTTP clients sometimes echo credentials; last_error is shown to every operator.
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/\b(bearer|basic)\s+[\w.~+/=-]+/gi, '$1 [redacted]'],
  [/\b(sk|rk|pk|whsec)_(live|test)_[\w]+/gi, '[redacted]'],
  [
    /\b(password|passwd|secret|token|api[_-]?key|authorization|client_secret|refresh_token)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi,
    '$1$2[redacted]',
  ],
];

/** The text stored in last_error: name and message only, redacted and truncated. */
export function describeError(error: unknown): string {
  const text =
    error instanceof Error ? `${error.name}: ${error.message}` : `non-error thrown: ${safeString(error)}`;
  let redacted = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) redacted = redacted.replace(pattern, replacement);
  return redacted.length > MAX_ERROR_LENGTH ? `${redacted.slice(0, MAX_ERROR_LENGTH - 1)}…` : redacted;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
