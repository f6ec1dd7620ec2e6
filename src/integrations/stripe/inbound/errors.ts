import { RetryableJobError } from '../../../jobs/errors.js';

/**
 * The event is about a Stripe object we have not stored yet (its link commits a moment later, or the
 * payment it refunds has not been recorded yet). The job retries with backoff, and the inbox entry
 * stays pending, not failed: nothing is wrong, it is early.
 */
export class NotStoredYetError extends RetryableJobError {
  override readonly name: string = 'NotStoredYetError';
}
