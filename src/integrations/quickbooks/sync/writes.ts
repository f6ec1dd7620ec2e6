import { PermanentJobError, RetryableJobError } from '../../../jobs/errors.js';
import { QboFaultError, type QboObject, QboUncertainError } from '../types.js';
import { type QboSyncContext, qbo, translate } from './context.js';

/**
 * The two write patterns every push uses, so exactly-once and optimistic concurrency are solved once.
 */

/**
 * Creates an object at most once. A retried job (or the same attempt, right after QuickBooks left us
 * uncertain: a timeout, a 5xx, a dropped connection) first asks `lookup` whether the object exists
 * (by DocNumber and our private-note tag); only if not does it create, always with the same
 * `requestId`, so QuickBooks replays its first answer if the create did land after all.
 */
export async function createOnce(
  ctx: QboSyncContext,
  what: string,
  entity: string,
  body: QboObject,
  requestId: string,
  lookup: () => Promise<QboObject | undefined>,
): Promise<{ object: QboObject; found: boolean }> {
  if (ctx.retrying) {
    const found = await lookup();
    if (found) return { object: found, found: true };
  }
  try {
    return { object: await ctx.client.create(entity, body, { requestId }), found: false };
  } catch (error) {
    if (!(error instanceof QboUncertainError)) throw translate(what, error);
    // It may have landed: look now, and leave a retry to the queue only if it did not.
    let found: QboObject | undefined;
    try {
      found = await lookup();
    } catch {
      found = undefined;
    }
    if (found) return { object: found, found: true };
    throw new RetryableJobError(`QuickBooks did not answer while trying to ${what}: ${error.message}`);
  }
}

const STALE_RETRIES = 3;

/**
 * A sparse update with a SyncToken we believe current (kept in the link, or read now). A stale one
 * (5010: someone changed the object in QuickBooks since) re-reads the object by Id and tries again
 * with its fresh token; `fields` may look at the fresh object to decide what to send (undefined: the
 * object needs nothing any more).
 */
export async function updateFresh(
  ctx: QboSyncContext,
  what: string,
  entity: string,
  id: string,
  knownSyncToken: string | undefined,
  fields: (current: QboObject | undefined) => QboObject | undefined,
  operation: 'update' | 'void' = 'update',
): Promise<QboObject | undefined> {
  let current: QboObject | undefined;
  let token = knownSyncToken;
  for (let attempt = 0; ; attempt += 1) {
    if (token === undefined) {
      current = await qbo(`read ${entity} ${id} from QuickBooks`, () => ctx.client.read(entity, id));
      if (!current)
        throw new PermanentJobError(`${entity} ${id} no longer exists in QuickBooks (it was deleted there)`);
      token = current.SyncToken;
    }
    const body = fields(current);
    if (body === undefined) return current;
    try {
      const ref = { Id: id, SyncToken: token ?? '0' };
      return operation === 'void'
        ? await ctx.client.void(entity, ref)
        : await ctx.client.update(entity, { ...body, ...ref, sparse: true });
    } catch (error) {
      if (error instanceof QboFaultError && error.has('5010') && attempt < STALE_RETRIES) {
        token = undefined; // re-read, then try again with what QuickBooks holds now
        continue;
      }
      throw translate(what, error);
    }
  }
}
