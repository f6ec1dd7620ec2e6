import { createHash } from 'node:crypto';
import { PermanentJobError } from '../../../jobs/errors.js';
import type { JobHandler } from '../../../jobs/handler.js';
import { enqueue } from '../../../jobs/queue.js';
import type { Db, Queryable } from '../../../store/db.js';
import { getLiveConnection } from '../../../store/repositories/integration-connections.js';
import {
  type ConnectionSweep,
  enqueueConnectionSweep,
  scheduleConnectionSweeps,
} from '../../connection-sweeps.js';
import { insertInboxEntry } from '../../../store/repositories/webhook-inbox.js';
import { SUBSCRIBED_EVENT_TYPES } from '../events.js';
import { STRIPE_WEBHOOK_JOB, type WebhookJobPayload } from '../webhook-processor.js';
import { orderingKeyOf } from '../webhook-route.js';
import { type InboundDeps, openAccess, readAll } from './context.js';
import { advanceEventCursor, getEventCursor } from './store.js';

/**
 * `stripe.reconcile`: a missed webhook is still applied. Per connection, lists the Stripe events of
 * the types we subscribe to since the newest one seen (a cursor per connection, minus an overlap so
 * events that share or straddle a second are never skipped) and feeds every one not already in the
 * inbox through the same path a webhook takes: stored once by event id, a `stripe.webhook.process`
 * job enqueued in the same transaction. Events already received are skipped by the inbox's key, so
 * running it often, or twice at once, changes nothing. It also re-drives stored events whose job gave
 * up (attempts exhausted while, say, the invoice they are about was not linked yet): each gets a new
 * job, so no received event stays unapplied for good.
 */
export const STRIPE_RECONCILE_JOB = 'stripe.reconcile';

/** Listed again each run: Stripe's `created` is in seconds, and its list may lag a little. */
export const RECONCILE_OVERLAP_SECONDS = 300;

/** How often the lead's scheduler should call scheduleStripeReconciliation. */
export const RECONCILE_EVERY_MS = 15 * 60 * 1000;

export interface ReconcilePayload {
  readonly connection_id: string;
}

export interface ReconcileResult {
  readonly listed: number;
  readonly stored: number;
  /** Stored events whose job had given up, enqueued again. */
  readonly redriven?: number;
  readonly since: number;
  readonly skipped?: string;
}

export function createReconciler(deps: InboundDeps): JobHandler {
  return async (job): Promise<ReconcileResult> => {
    const connectionId = (job.payload as Partial<ReconcilePayload> | null)?.connection_id;
    if (job.tenantId === null || typeof connectionId !== 'string') {
      throw new PermanentJobError('a reconciliation job needs a tenant and a connection_id');
    }
    return reconcileStripeEvents(deps, job.tenantId, connectionId, job.id);
  };
}

export async function reconcileStripeEvents(
  deps: InboundDeps,
  tenantId: string,
  connectionId: string,
  runId: string = `run-${Date.now()}`,
): Promise<ReconcileResult> {
  const { db } = deps;
  const connection = await getLiveConnection(db, tenantId, 'stripe');
  if (!connection || connection.id !== connectionId || connection.status !== 'connected') {
    return { listed: 0, stored: 0, since: 0, skipped: 'the connection is no longer live' };
  }
  const access = await openAccess(deps, tenantId);
  if (!access) return { listed: 0, stored: 0, since: 0, skipped: 'the connection is no longer live' };

  const cursor = await getEventCursor(db, tenantId, connectionId);
  const start = cursor?.lastCreated ?? Math.floor(connection.connectedAt.getTime() / 1000);
  const since = Math.max(0, start - RECONCILE_OVERLAP_SECONDS);
  const events = await readAll(access, 'list Stripe events', (options) =>
    access.stripe.events.list(
      { created: { gte: since }, types: [...SUBSCRIBED_EVENT_TYPES], limit: 100 },
      options,
    ),
  );

  let stored = 0;
  for (const event of events) {
    const rawJson = JSON.stringify(event);
    const inserted = await db.transaction(async (tx) =>
      storeEvent(tx, tenantId, {
        id: event.id,
        type: event.type,
        account: event.account ?? connection.externalAccountId,
        rawJson,
        object: event.data.object as unknown as Record<string, unknown>,
      }),
    );
    if (inserted) stored += 1;
  }
  const newest = events.at(-1);
  if (newest) {
    await advanceEventCursor(db, tenantId, connectionId, {
      lastCreated: newest.created,
      lastEventId: newest.id,
    });
  }
  const redriven = await redriveStranded(db, tenantId, runId);
  return { listed: events.length, stored, since, redriven };
}

/** Inbox entries still to apply whose processing job is over (dead, cancelled): a fresh job each. */
async function redriveStranded(db: Db, tenantId: string, runId: string): Promise<number> {
  const stranded = await db.query<{ id: string; event_id: string; payload: Record<string, unknown> }>(
    `SELECT w.id, w.event_id, w.payload FROM webhook_inbox w
     WHERE w.tenant_id = $1 AND w.provider = 'stripe' AND w.status IN ('pending', 'processing', 'failed')
       AND NOT EXISTS (
         SELECT 1 FROM jobs j
         WHERE j.tenant_id = w.tenant_id AND j.type = $2 AND j.payload->>'inbox_id' = w.id
           AND j.state IN ('queued', 'running', 'succeeded'))
     ORDER BY w.received_at, w.id`,
    [tenantId, STRIPE_WEBHOOK_JOB],
  );
  for (const entry of stranded) {
    const data = entry.payload.data as { object?: Record<string, unknown> } | undefined;
    const orderingKey = orderingKeyOf({ data: { object: data?.object ?? {} } });
    await db.transaction((tx) =>
      enqueue(tx, {
        tenantId,
        type: STRIPE_WEBHOOK_JOB,
        payload: { inbox_id: entry.id } satisfies WebhookJobPayload,
        dedupeKey: `stripe-event:${entry.event_id}:redrive:${runId}`,
        ...(orderingKey ? { orderingKey } : {}),
      }),
    );
  }
  return stranded.length;
}

/** Stores a listed event in the inbox and enqueues its processing, as the webhook route does. */
async function storeEvent(
  tx: Queryable,
  tenantId: string,
  event: {
    id: string;
    type: string;
    account: string;
    rawJson: string;
    object: Record<string, unknown>;
  },
): Promise<boolean> {
  const entry = await insertInboxEntry(tx, {
    provider: 'stripe',
    eventId: event.id,
    account: event.account,
    tenantId,
    type: event.type,
    rawJson: event.rawJson,
    rawBodySha256: createHash('sha256').update(event.rawJson).digest('hex'),
    status: 'pending',
    note: 'found by reconciliation: the webhook never arrived',
  });
  if (!entry) return false;
  const orderingKey = orderingKeyOf({ data: { object: event.object } });
  await enqueue(tx, {
    tenantId,
    type: STRIPE_WEBHOOK_JOB,
    payload: { inbox_id: entry.id } satisfies WebhookJobPayload,
    dedupeKey: `stripe-event:${event.id}`,
    ...(orderingKey ? { orderingKey } : {}),
  });
  return true;
}

const RECONCILE_SWEEP: ConnectionSweep = {
  type: STRIPE_RECONCILE_JOB,
  provider: 'stripe',
  orderingPrefix: 'stripe:reconcile',
};

/** Enqueues one reconciliation of a connection under `key` (see enqueueConnectionSweep). */
export async function enqueueStripeReconcile(
  tx: Queryable,
  tenantId: string,
  connectionId: string,
  key: string,
): Promise<void> {
  await enqueueConnectionSweep(tx, RECONCILE_SWEEP, tenantId, connectionId, key);
}

/** For the process's scheduler: one reconciliation per connected Stripe account per period of `everyMs`. */
export function scheduleStripeReconciliation(
  db: Db,
  now: Date = new Date(),
  everyMs: number = RECONCILE_EVERY_MS,
): Promise<number> {
  return scheduleConnectionSweeps(db, RECONCILE_SWEEP, now, everyMs);
}
