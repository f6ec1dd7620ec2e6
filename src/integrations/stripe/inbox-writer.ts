import { DEFAULT_MAX_ATTEMPTS, ORDERING_LOCK_NAMESPACE } from '../../jobs/queue.js';
import type { Db, Queryable } from '../../store/db.js';
import { newId } from '../../store/ids.js';
import type { NewInboxEntry } from '../../store/repositories/webhook-inbox.js';
import { STRIPE_WEBHOOK_JOB } from './webhook-processor.js';

export interface InboxWrite extends NewInboxEntry {
  /** Per-object ordering for the processing job (see orderingKeyOf). */
  readonly orderingKey: string | undefined;
}

const MAX_BATCH = 200;
/** How many committed event ids are remembered to answer redeliveries without a query. */
const REMEMBERED_EVENTS = 20_000;
/** The longest a delivery waits for the others a write expects (see InboxWriter). */
const MAX_GATHER_MS = 1;

interface Waiting {
  entry: InboxWrite;
  resolve(created: boolean): void;
  reject(error: unknown): void;
}

/**
 * Group commit for webhook ingest: deliveries are written together, inbox rows and their processing
 * jobs in one statement, and each is answered only after the statement holding it commits.
 *
 * - Deliveries that arrive while a write is in flight wait and go in the next one (PostgreSQL: the
 *   write is I/O, so under load they pile up by themselves).
 * - A write starts on `setImmediate`, not at once, so deliveries whose bytes arrived in the same turn
 *   of the event loop (being parsed and verified right now) join it.
 * - A write waits for as many deliveries as the previous one carried — about how many senders are
 *   active — but at most MAX_GATHER_MS. That matters on PGlite, whose queries run on this thread: a
 *   write blocks the event loop, so nothing piles up meanwhile, and without waiting every write would
 *   carry one or two events. The statement's fixed cost dominates, so eight events cost little more
 *   than one. When deliveries come one at a time the previous write carried one: no wait at all.
 * - The ids of the last REMEMBERED_EVENTS events this writer saw committed are kept, so a redelivery
 *   of one of them (Stripe retries a delivery whose answer it did not get) is a duplicate without a
 *   query. Only committed ids are kept and inbox rows are never deleted, so such an answer is exactly
 *   what the database would say; ids not remembered (older, or written by another process) go to the
 *   database, whose unique key stays the gate.
 */
export class InboxWriter {
  private readonly waiting: Waiting[] = [];
  private writing = false;
  private expected = 1;
  private wake: (() => void) | undefined;
  private readonly committed = new Set<string>();

  constructor(private readonly db: Db) {}

  /** Resolves true if this delivery stored the event, false if the event was already stored. */
  write(entry: InboxWrite): Promise<boolean> {
    if (this.committed.has(eventKey(entry))) return Promise.resolve(false);
    return new Promise((resolve, reject) => {
      this.waiting.push({ entry, resolve, reject });
      if (this.wake && this.waiting.length >= this.expected) this.wake();
      if (this.writing) return;
      this.writing = true;
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      await this.gather();
      const batch = this.waiting.splice(0, MAX_BATCH);
      this.expected = batch.length;
      try {
        await this.commit(batch);
      } catch (error) {
        if (batch.length === 1) {
          batch[0]?.reject(error);
          continue;
        }
        // One delivery the database refuses must not fail the others with it: each on its own, so
        // only that one answers 5xx (and Stripe retries it). A database that is down fails them all.
        for (const item of batch) await this.commit([item]).catch((single: unknown) => item.reject(single));
      }
    }
    this.writing = false;
  }

  private async commit(batch: readonly Waiting[]): Promise<void> {
    const created = await writeBatch(
      this.db,
      batch.map((item) => item.entry),
    );
    for (const item of batch) this.remember(eventKey(item.entry));
    batch.forEach((item, index) => item.resolve(created[index] === true));
  }

  private remember(key: string): void {
    this.committed.add(key);
    // A Set iterates in insertion order: the first one is the oldest.
    if (this.committed.size > REMEMBERED_EVENTS) {
      const oldest = this.committed.values().next();
      if (!oldest.done) this.committed.delete(oldest.value);
    }
  }

  /** Waits until `expected` deliveries are in, or MAX_GATHER_MS has passed. */
  private async gather(): Promise<void> {
    if (this.waiting.length >= Math.min(this.expected, MAX_BATCH)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), MAX_GATHER_MS);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

function eventKey(entry: InboxWrite): string {
  return `${entry.provider}:${entry.eventId}`;
}

/**
 * Stores the entries (once per event id) and enqueues a job for each new pending one, in ONE
 * statement: a single statement is atomic on its own, so there is no BEGIN/COMMIT, and the batch costs
 * one round trip (on PGlite, one turn of its single backend) instead of four. What `enqueueMany` does
 * is kept: jobs take their seq only once the batch's ordering keys are locked (in sorted order, held to
 * the end of the statement's transaction), so for one key seq follows commit order; a dedupe key that
 * exists already skips the job. Rows go in in arrival order; the same event twice in one batch is
 * stored by its first delivery (the one whose generated id comes back) and is a duplicate for the rest.
 */
async function writeBatch(db: Queryable, entries: readonly InboxWrite[]): Promise<boolean[]> {
  const ids = entries.map(() => newId('whk'));
  const orderingKeys = [
    ...new Set(entries.flatMap((entry) => (entry.orderingKey ? [entry.orderingKey] : []))),
  ].sort();
  // One array per column, unnested: the statement's text is the same for every batch size, so the
  // database parses and plans a fixed statement instead of one VALUES row per delivery.
  const column = <T>(value: (entry: InboxWrite, index: number) => T): T[] => entries.map(value);
  const stored = await db.query<{ id: string }>(
    `WITH batch AS (
       SELECT * FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                            $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
         WITH ORDINALITY AS b (id, provider, event_id, account, tenant_id, type, payload, sha, status, note,
                               job_id, ordering_key, ord)
     ),
     stored AS (
       INSERT INTO webhook_inbox (id, provider, event_id, account, tenant_id, type, payload, raw_body_sha256,
                                  status, note, processed_at)
       SELECT id, provider, event_id, account, tenant_id, type, payload::jsonb, sha, status, note,
              CASE WHEN status = 'ignored' THEN now() END
       FROM batch ORDER BY ord
       ON CONFLICT (provider, event_id) DO NOTHING
       RETURNING id, tenant_id, status
     ),
     ordering_locks AS (
       SELECT pg_advisory_xact_lock($1, hashtext(key)) FROM unnest($2::text[]) AS key ORDER BY key
     ),
     enqueued AS (
       INSERT INTO jobs (id, tenant_id, type, payload, state, max_attempts, run_at, dedupe_key, ordering_key)
       SELECT b.job_id, s.tenant_id, $3, jsonb_build_object('inbox_id', s.id), 'queued', $4,
              statement_timestamp(), 'stripe-event:' || b.event_id, b.ordering_key
       FROM stored s
       JOIN batch b ON b.id = s.id
       CROSS JOIN (SELECT count(*) FROM ordering_locks) AS locked
       WHERE s.status = 'pending' AND s.tenant_id IS NOT NULL
       ORDER BY b.ord
       ON CONFLICT ((COALESCE(tenant_id, '')), dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
     )
     SELECT id FROM stored`,
    [
      ORDERING_LOCK_NAMESPACE,
      orderingKeys,
      STRIPE_WEBHOOK_JOB,
      DEFAULT_MAX_ATTEMPTS,
      ids,
      column((entry) => entry.provider),
      column((entry) => entry.eventId),
      column((entry) => entry.account ?? null),
      column((entry) => entry.tenantId ?? null),
      column((entry) => entry.type),
      column((entry) => entry.rawJson),
      column((entry) => entry.rawBodySha256),
      column((entry) => entry.status),
      column((entry) => entry.note ?? null),
      column(() => newId('job')),
      column((entry) => entry.orderingKey ?? null),
    ],
  );
  const created = new Set(stored.map((row) => row.id));
  return ids.map((id) => created.has(id));
}
