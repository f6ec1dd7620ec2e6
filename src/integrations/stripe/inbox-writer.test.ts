import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../access/repository.js';
import { backends, type TestDatabase } from '../../../test/databases.js';
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

  it('answers every delivery of a failed batch with the error, and stores none of that batch', async () => {
    const writer = new InboxWriter(database.db);
    // The first write goes out at once; the next two wait for it and share the following transaction.
    const first = writer.write(entry('evt_batch_first'));
    const good = writer.write(entry('evt_batch_good'));
    const bad = writer.write(entry('evt_batch_bad', { rawJson: '{not json' }));
    const [a, b, c] = await Promise.allSettled([first, good, bad]);
    expect(a).toEqual({ status: 'fulfilled', value: true });
    expect(b?.status).toBe('rejected');
    expect(c?.status).toBe('rejected');
    const stored = await database.db.query<{ event_id: string }>(
      "SELECT event_id FROM webhook_inbox WHERE event_id LIKE 'evt_batch_%'",
    );
    expect(stored.map((row) => row.event_id)).toEqual(['evt_batch_first']);
    // The writer keeps working after a failed batch, and the good event can be delivered again.
    expect(await writer.write(entry('evt_batch_good'))).toBe(true);
  });
});
