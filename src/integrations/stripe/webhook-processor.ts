import { describeError, PermanentJobError } from '../../jobs/errors.js';
import type { JobHandler } from '../../jobs/handler.js';
import type { Db } from '../../store/db.js';
import {
  getInboxEntry,
  markInboxFailed,
  markInboxFinished,
  markInboxProcessing,
  markInboxWaiting,
} from '../../store/repositories/webhook-inbox.js';
import { type StripeEventInput, stripeEventHandler } from './events.js';
import { NotStoredYetError } from './inbound/errors.js';
import type { StripeIntegration } from './settings.js';

export const STRIPE_WEBHOOK_JOB = 'stripe.webhook.process';

export interface WebhookJobPayload {
  readonly inbox_id: string;
}

/**
 * Applies one stored Stripe event. The job carries only the inbox id (job payloads are visible to
 * operators; the event stays in the inbox). Steps:
 * (1) load the entry; one already processed or ignored is done (a re-run job changes nothing);
 * (2) mark it processing and count the attempt, visibly, before anything can fail;
 * (3) dispatch by type through the frozen table in events.ts: first the handler's reads from Stripe
 *     (outside any transaction), then its changes, with the outcome marked in the same transaction,
 *     so "processed" and its effect commit together;
 * (4) on failure mark it failed with the redacted error and rethrow: the queue retries with backoff.
 *     An event about something not stored here yet goes back to pending instead (it is early, not
 *     wrong) and is retried the same way.
 */
export function createWebhookProcessor(db: Db, stripe?: StripeIntegration): JobHandler {
  return async (job) => {
    const inboxId = (job.payload as Partial<WebhookJobPayload> | null)?.inbox_id;
    if (typeof inboxId !== 'string') throw new PermanentJobError('payload has no inbox_id');

    // (1)
    const entry = await getInboxEntry(db, inboxId);
    if (!entry) throw new PermanentJobError(`webhook inbox entry ${inboxId} does not exist`);
    if (entry.status === 'processed' || entry.status === 'ignored')
      return { status: entry.status, skipped: true };
    if (entry.tenantId === null) throw new PermanentJobError(`webhook inbox entry ${inboxId} has no tenant`);
    const tenantId = entry.tenantId;

    // (2)
    if (!(await markInboxProcessing(db, inboxId))) return { status: 'finished elsewhere', skipped: true };

    try {
      // (3)
      const input: StripeEventInput = {
        tenantId,
        account: entry.account,
        event: entry.payload as StripeEventInput['event'],
      };
      const handler = stripeEventHandler(entry.type);
      const fetched = handler.fetch ? await handler.fetch({ db, stripe }, input) : undefined;
      const outcome = await db.transaction(async (tx) => {
        const result = await handler.apply(tx, input, fetched);
        await markInboxFinished(tx, inboxId, result);
        return result;
      });
      return { event_id: entry.eventId, type: entry.type, ...outcome };
    } catch (error) {
      // (4)
      if (error instanceof NotStoredYetError) await markInboxWaiting(db, inboxId, describeError(error));
      else await markInboxFailed(db, inboxId, describeError(error));
      throw error;
    }
  };
}
