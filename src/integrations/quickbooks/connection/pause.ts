import { PermanentJobError, SnoozeJobError } from '../../../jobs/errors.js';
import type { Job } from '../../../jobs/job.js';
import { QboReauthorizationRequiredError, type QboSession, QboThrottledError } from '../types.js';
import { openQboSession, type QboDeps, QboNotConnectedError } from './session.js';

/**
 * How long a job waits for a person to reconnect QuickBooks before it looks again. Reconnecting wakes
 * the tenant's waiting jobs at once (wakeQuickBooksJobs), so this only bounds the polling.
 */
export const REAUTHORIZATION_SNOOZE_MS = 15 * 60 * 1000;

/**
 * The job error a QuickBooks failure should become when it is about the connection rather than the
 * job: waiting for a person to reconnect, or for the realm's throttle, snoozes the job without using
 * an attempt; no connection at all (disconnected on purpose) fails it for good. Anything else:
 * undefined, the handler's own error stands.
 */
export function pausedJobError(error: unknown): Error | undefined {
  if (error instanceof QboNotConnectedError) {
    return new PermanentJobError(`${error.message}; connect it and retry the job`);
  }
  if (error instanceof QboReauthorizationRequiredError) {
    return new SnoozeJobError(error.message, REAUTHORIZATION_SNOOZE_MS);
  }
  if (error instanceof QboThrottledError) return new SnoozeJobError(error.message, error.retryAfterMs);
  return undefined;
}

/**
 * Runs a job handler's QuickBooks work with a session for the job's tenant, turning connection-level
 * failures into pauses (pausedJobError). Other failures propagate unchanged.
 */
export async function withQuickBooksSession<T>(
  deps: QboDeps,
  job: Pick<Job, 'tenantId' | 'type'>,
  fn: (session: QboSession) => Promise<T>,
): Promise<T> {
  if (job.tenantId === null) throw new PermanentJobError(`${job.type} jobs belong to a tenant`);
  try {
    return await fn(await openQboSession(deps, job.tenantId));
  } catch (error) {
    throw pausedJobError(error) ?? error;
  }
}
