import { type EnqueueInput, enqueueMany } from '../../../jobs/queue.js';
import type { Queryable } from '../../../store/db.js';
import { newId } from '../../../store/ids.js';

/** The job that applies one stored QuickBooks notification (processor.ts). */
export const QBO_NOTIFICATION_JOB = 'quickbooks.webhook.process';

export interface NotificationJobPayload {
  readonly inbox_id: string;
}

export interface QboInboxWrite {
  readonly eventId: string;
  readonly realmId: string;
  readonly tenantId: string | undefined;
  readonly type: string;
  readonly rawJson: string;
  readonly rawBodySha256: string;
  readonly status: 'pending' | 'ignored';
  readonly note: string | undefined;
  readonly orderingKey: string;
}

/**
 * Stores a delivery's notifications in ONE statement (inside the caller's transaction), once per
 * event id, and enqueues one processing job per newly stored pending notification. Returns, per
 * entry, whether this call stored it (false: already received, or repeated within the same POST).
 */
export async function writeNotifications(
  tx: Queryable,
  entries: readonly QboInboxWrite[],
): Promise<boolean[]> {
  if (entries.length === 0) return [];
  const params: unknown[] = [];
  const values = entries.map((entry) => {
    const base = params.length;
    params.push(
      newId('whk'),
      entry.eventId,
      entry.realmId,
      entry.tenantId ?? null,
      entry.type,
      entry.rawJson,
      entry.rawBodySha256,
      entry.status,
      entry.note ?? null,
    );
    const p = (offset: number) => `$${base + offset}`;
    return `(${p(1)}, 'quickbooks', ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}::jsonb, ${p(7)}, ${p(8)}, ${p(9)},
      CASE WHEN ${p(8)} = 'ignored' THEN now() END)`;
  });
  const inserted = await tx.query<{ id: string; event_id: string; tenant_id: string | null; status: string }>(
    `INSERT INTO webhook_inbox (id, provider, event_id, account, tenant_id, type, payload, raw_body_sha256, status,
                                note, processed_at)
     VALUES ${values.join(', ')}
     ON CONFLICT (provider, event_id) DO NOTHING
     RETURNING id, event_id, tenant_id, status`,
    params,
  );
  const stored = new Map(inserted.map((row) => [row.event_id, row]));
  const claimed = new Set<string>();
  const jobs: EnqueueInput[] = [];
  const created = entries.map((entry) => {
    const row = stored.get(entry.eventId);
    if (!row || claimed.has(entry.eventId)) return false;
    claimed.add(entry.eventId);
    if (row.status === 'pending' && row.tenant_id) {
      jobs.push(notificationJob(row.tenant_id, row.id, entry.eventId, entry.orderingKey));
    }
    return true;
  });
  await enqueueMany(tx, jobs);
  return created;
}

export function notificationJob(
  tenantId: string,
  inboxId: string,
  eventId: string,
  orderingKey: string,
  dedupeSuffix = '',
): EnqueueInput {
  return {
    tenantId,
    type: QBO_NOTIFICATION_JOB,
    payload: { inbox_id: inboxId } satisfies NotificationJobPayload,
    dedupeKey: `${QBO_NOTIFICATION_JOB}:${eventId}${dedupeSuffix}`,
    orderingKey,
  };
}
