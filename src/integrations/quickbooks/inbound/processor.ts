import { describeError, PermanentJobError, SnoozeJobError } from '../../../jobs/errors.js';
import type { JobHandler } from '../../../jobs/handler.js';
import type { Queryable } from '../../../store/db.js';
import { getLiveConnection } from '../../../store/repositories/integration-connections.js';
import {
  getInboxEntry,
  markInboxFailed,
  markInboxFinished,
  markInboxProcessing,
  markInboxWaiting,
} from '../../../store/repositories/webhook-inbox.js';
import { withQuickBooksSession } from '../connection/pause.js';
import type { QboDeps } from '../connection/session.js';
import { committer, type PullOutcome } from './context.js';
import type { NotificationJobPayload } from './inbox.js';
import { pullObject } from './pull.js';

/**
 * Applies one stored QuickBooks notification (job `quickbooks.webhook.process`; the payload carries
 * only the inbox id). Steps:
 * (1) load the entry; one already processed or ignored is done;
 * (2) mark it processing (counting the attempt) before anything can fail;
 * (3) the realm must still be the tenant's live connection; else it is ignored with a note;
 * (4) read the object from QuickBooks and apply its current state (pull.ts), marking the entry
 *     finished in the same transaction as the change;
 * (5) on failure the entry is marked failed with the redacted error (back to pending when the job only
 *     waits for a reconnect or a throttle) and the error rethrown for the queue to retry.
 */
export function createNotificationProcessor(deps: QboDeps): JobHandler {
  return async (job) => {
    const inboxId = (job.payload as Partial<NotificationJobPayload> | null)?.inbox_id;
    if (typeof inboxId !== 'string') throw new PermanentJobError('payload has no inbox_id');
    // (1)
    const entry = await getInboxEntry(deps.db, inboxId);
    if (!entry) throw new PermanentJobError(`webhook inbox entry ${inboxId} does not exist`);
    if (entry.status === 'processed' || entry.status === 'ignored')
      return { status: entry.status, skipped: true };
    if (entry.tenantId === null || entry.tenantId !== job.tenantId) {
      throw new PermanentJobError(`webhook inbox entry ${inboxId} belongs to no tenant of this job`);
    }
    const tenantId = entry.tenantId;
    // (2)
    if (!(await markInboxProcessing(deps.db, inboxId)))
      return { status: 'finished elsewhere', skipped: true };
    let finished = false;
    const finish = async (tx: Queryable, outcome: PullOutcome) => {
      await markInboxFinished(tx, inboxId, outcome);
      finished = true;
    };

    // (3)
    const connection = await getLiveConnection(deps.db, tenantId, 'quickbooks');
    if (!connection || connection.externalAccountId !== entry.account) {
      const note = `QuickBooks company ${entry.account ?? '?'} is no longer connected to this business`;
      await finish(deps.db, { status: 'ignored', note });
      return { status: 'ignored', note };
    }
    const target = notificationTarget(entry.type, entry.payload);
    if (!target) {
      const note = `cannot tell which QuickBooks object ${entry.type} is about`;
      await finish(deps.db, { status: 'ignored', note });
      return { status: 'ignored', note };
    }
    try {
      // (4)
      const outcome = await withQuickBooksSession(deps, job, (session) =>
        pullObject(
          { db: deps.db, tenantId, session, via: 'webhook' },
          target.entity,
          target.id,
          committer(deps.db, finish),
        ),
      );
      // An applier that decided before writing anything ("invoices_pull is off") had no transaction.
      if (!finished) await finish(deps.db, outcome);
      return { event_id: entry.eventId, type: entry.type, ...outcome };
    } catch (error) {
      // (5)
      if (error instanceof SnoozeJobError) {
        await markInboxWaiting(deps.db, inboxId, describeError(error));
      } else {
        await markInboxFailed(deps.db, inboxId, describeError(error));
      }
      throw error;
    }
  };
}

/** The entity and Id a stored notification names (CloudEvents or legacy payload). */
export function notificationTarget(
  type: string,
  payload: unknown,
): { entity: string; id: string } | undefined {
  const entity = type.split('.')[0];
  if (!entity || !payload || typeof payload !== 'object') return undefined;
  const fields = payload as Record<string, unknown>;
  const id = fields.intuitentityid ?? fields.id;
  if (typeof id !== 'string' && typeof id !== 'number') return undefined;
  return { entity, id: String(id) };
}
