import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../access/repository.js';
import { backends, type TestDatabase } from '../../../test/databases.js';
import type { Db } from '../../store/db.js';
import { InboxWriter, type InboxWrite } from './inbox-writer.js';
import { STRIPE_WEBHOOK_JOB } from './webhook-processor.js';

describe.each(backends)('webhook inbox group commit on $name', (backend) => {
  let database: TestDatabase;
  let tenantId: string;
  beforeAll(async () => {
    database = await backend.create();
    tenantId = (await createTenant(database.db, 'Inbox')).id;
  });
  afterAll(() => database.drop());

  const entry = (eventId: string, overrides: Partial<InboxWrite> = {}): InboxWrite => ({
    provider: 'stripe',
    eventId,
    account: 'acct_group',
    tenantId,
    type: 'invoice.paid',
    rawJson: JSON.stringify({ id: eventId }),
    rawBodySha256: 'x'.repeat(64),
    status: 'pending',
    orderingKey: `stripe:invoice:in_${eventId}`,
    ...overrides,
  });

  it('stores each event once and enqueues one job for it, however the deliveries interleave', async () => {
    const writer = new InboxWriter(database.db);
    const ids = Array.from({ length: 40 }, (_, i) => `evt_group_${i}`);
    const results = await Promise.all(
      [...ids, ...ids, ...ids.slice(0, 5)].map((id) => writer.write(entry(id))),
    );
    expect(results.filter(Boolean)).toHaveLength(40);
    const inbox = await database.db.query(
      "SELECT event_id FROM webhook_inbox WHERE event_id LIKE 'evt_group_%'",
    );
    expect(inbox).toHaveLength(40);
    const jobs = await database.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM jobs WHERE type = $1 AND dedupe_key LIKE 'stripe-event:evt_group_%'",
      [STRIPE_WEBHOOK_JOB],
    );
    expect(jobs).toEqual([{ n: 40 }]);
    // Delivered again later, the events are duplicates.
    expect(await writer.write(entry('evt_group_7'))).toBe(false);
  });

  it('enqueues nothing for an event stored as ignored', async () => {
    const writer = new InboxWriter(database.db);
    const created = await writer.write(
      entry('evt_ignored_1', { tenantId: undefined, status: 'ignored', note: 'no business connected' }),
    );
    expect(created).toBe(true);
    const jobs = await database.db.query(
      "SELECT 1 FROM jobs WHERE dedupe_key = 'stripe-event:evt_ignored_1'",
    );
    expect(jobs).toHaveLength(0);
  });

  /** The same database, counting the statements the writer sends. */
  const counted = () => {
    const counter = { statements: 0 };
    const db: Db = {
      ...database.db,
      query: (sql, params) => {
        counter.statements += 1;
        return database.db.query(sql, params);
      },
    };
    return { db, counter };
  };

  it('isolates a delivery the database refuses: the rest of its batch is stored, it alone fails', async () => {
    const writer = new InboxWriter(database.db);
    expect(await writer.write(entry('evt_batch_first'))).toBe(true);
    // Written in the same turn, the next three share one statement, which the bad payload fails.
    const results = await Promise.allSettled([
      writer.write(entry('evt_batch_good')),
      writer.write(entry('evt_batch_bad', { rawJson: '{not json' })),
      writer.write(entry('evt_batch_also_good')),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const stored = await database.db.query<{ event_id: string }>(
      "SELECT event_id FROM webhook_inbox WHERE event_id LIKE 'evt_batch_%' ORDER BY event_id",
    );
    expect(stored.map((row) => row.event_id)).toEqual([
      'evt_batch_also_good',
      'evt_batch_first',
      'evt_batch_good',
    ]);
    // The refused event was not remembered as stored: delivered again, it is written.
    expect(await writer.write(entry('evt_batch_bad'))).toBe(true);
  });

  it('writes deliveries of the same moment in one statement, their jobs in arrival order', async () => {
    const { db, counter } = counted();
    const writer = new InboxWriter(db);
    const ids = Array.from({ length: 8 }, (_, i) => `evt_order_${i}`);
    const results = await Promise.all(
      ids.map((id) => writer.write(entry(id, { orderingKey: 'stripe:invoice:in_shared' }))),
    );
    expect(results).toEqual(ids.map(() => true));
    expect(counter.statements).toBe(1);
    const jobs = await database.db.query<{ dedupe_key: string; inbox_id: string; inbox_event: string }>(
      `SELECT j.dedupe_key, j.payload->>'inbox_id' AS inbox_id, w.event_id AS inbox_event
       FROM jobs j JOIN webhook_inbox w ON w.id = j.payload->>'inbox_id'
       WHERE j.ordering_key = 'stripe:invoice:in_shared' AND j.state = 'queued' AND j.type = $1
       ORDER BY j.seq`,
      [STRIPE_WEBHOOK_JOB],
    );
    expect(jobs.map((job) => job.dedupe_key)).toEqual(ids.map((id) => `stripe-event:${id}`));
    expect(jobs.map((job) => job.inbox_event)).toEqual(ids);
  });

  it('answers a redelivery from memory once committed, and from the database in another process', async () => {
    const { db, counter } = counted();
    const writer = new InboxWriter(db);
    expect(await writer.write(entry('evt_again_1'))).toBe(true);
    const afterFirst = counter.statements;
    expect(await writer.write(entry('evt_again_1'))).toBe(false);
    expect(counter.statements).toBe(afterFirst);
    // Another process's writer does not remember it: the unique key answers, and no second job.
    const other = new InboxWriter(database.db);
    expect(await other.write(entry('evt_again_1'))).toBe(false);
    const jobs = await database.db.query("SELECT 1 FROM jobs WHERE dedupe_key = 'stripe-event:evt_again_1'");
    expect(jobs).toHaveLength(1);
  });
});
