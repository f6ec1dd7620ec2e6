import { type EnqueueInput, enqueueMany } from '../../jobs/queue.js';
import type { Db, Queryable } from '../../store/db.js';
import { newId } from '../../store/ids.js';
import type { NewInboxEntry } from '../../store/repositories/webhook-inbox.js';
import { STRIPE_WEBHOOK_JOB, type WebhookJobPayload } from './webhook-processor.js';

export interface InboxWrite extends NewInboxEntry {
  /** Per-object ordering for the processing job (see orderingKeyOf). */
  readonly orderingKey: string | undefined;
}

const MAX_BATCH = 200;

/**
 * Group commit for webhook ingest. Deliveries that arrive while a write is in flight wait and are
 * written together in the next transaction — inbox rows in one statement, their processing jobs in
 * another — so under load a transaction carries many events, and when idle a delivery is written at
 * once with no added delay. Each delivery is answered only after the transaction holding it commits.
 */
export class InboxWriter {
  private readonly waiting: {
    entry: InboxWrite;
    resolve(created: boolean): void;
    reject(error: unknown): void;
  }[] = [];
  private writing = false;

  constructor(private readonly db: Db) {}

  /** Resolves true if this delivery stored the event, false if the event was already stored. */
  write(entry: InboxWrite): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ entry, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      try {
        const created = await this.db.transaction((tx) =>
          writeBatch(
            tx,
            batch.map((item) => item.entry),
          ),
        );
        batch.forEach((item, index) => item.resolve(created[index] === true));
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    this.writing = false;
  }
}

/** Stores the entries (once per event id) and enqueues a job for each new pending one. */
async function writeBatch(tx: Queryable, entries: readonly InboxWrite[]): Promise<boolean[]> {
  const params: unknown[] = [];
  const values = entries.map((entry) => {
    const base = params.length;
    params.push(
      newId('whk'),
      entry.provider,
      entry.eventId,
      entry.account ?? null,
      entry.tenantId ?? null,
      entry.type,
      entry.rawJson,
      entry.rawBodySha256,
      entry.status,
      entry.note ?? null,
    );
    const p = (offset: number) => `$${base + offset}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}::jsonb, ${p(8)}, ${p(9)}, ${p(10)},
      CASE WHEN ${p(9)} = 'ignored' THEN now() END)`;
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
  const jobs: EnqueueInput[] = [];
  // The same event twice in one batch: the first delivery stored it, the second is a duplicate.
  const claimed = new Set<string>();
  const created = entries.map((entry) => {
    const row = stored.get(entry.eventId);
    if (!row || claimed.has(entry.eventId)) return false;
    claimed.add(entry.eventId);
    if (row.status === 'pending' && row.tenant_id) {
      jobs.push({
        tenantId: row.tenant_id,
        type: STRIPE_WEBHOOK_JOB,
        payload: { inbox_id: row.id } satisfies WebhookJobPayload,
        dedupeKey: `stripe-event:${entry.eventId}`,
        ...(entry.orderingKey ? { orderingKey: entry.orderingKey } : {}),
      });
    }
    return true;
  });
  await enqueueMany(tx, jobs);
  return created;
}
