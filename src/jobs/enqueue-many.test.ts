import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../access/repository.js';
import { backends, type TestDatabase } from '../../test/databases.js';
import { enqueue, enqueueMany } from './queue.js';

describe.each(backends)('enqueueMany on $name', (backend) => {
  let database: TestDatabase;
  let tenantId: string;
  beforeAll(async () => {
    database = await backend.create();
    tenantId = (await createTenant(database.db, 'Bulk')).id;
  });
  afterAll(() => database.drop());

  it('adds every job in one statement, skipping dedupe keys already used, in input order', async () => {
    const { db } = database;
    await db.transaction((tx) => enqueue(tx, { tenantId, type: 't', payload: {}, dedupeKey: 'k:taken' }));
    const created = await db.transaction((tx) =>
      enqueueMany(tx, [
        { tenantId, type: 't', payload: { n: 1 }, dedupeKey: 'k:1', orderingKey: 'o:1' },
        { tenantId, type: 't', payload: { n: 2 }, dedupeKey: 'k:taken', orderingKey: 'o:1' },
        { tenantId, type: 't', payload: { n: 3 }, dedupeKey: 'k:1', orderingKey: 'o:1' },
        { tenantId, type: 't', payload: { n: 4 }, orderingKey: 'o:1' },
      ]),
    );
    expect(created.map((job) => job.payload)).toEqual([{ n: 1 }, { n: 4 }]);
    const rows = await db.query<{ payload: unknown }>(
      "SELECT payload FROM jobs WHERE ordering_key = 'o:1' ORDER BY seq",
    );
    expect(rows.map((row) => row.payload)).toEqual([{ n: 1 }, { n: 4 }]);
  });

  it('commits with the caller’s transaction or not at all', async () => {
    const { db } = database;
    await expect(
      db.transaction(async (tx) => {
        await enqueueMany(tx, [{ tenantId, type: 't', payload: {}, dedupeKey: 'k:rolled-back' }]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await db.query("SELECT 1 FROM jobs WHERE dedupe_key = 'k:rolled-back'")).toHaveLength(0);
  });

  it('refuses input that could never run, before writing anything', async () => {
    await expect(
      database.db.transaction((tx) => enqueueMany(tx, [{ tenantId, type: ' ', payload: {} }])),
    ).rejects.toThrow('job type must not be empty');
  });
});
