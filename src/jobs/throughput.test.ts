import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../../test/databases.js';
import type { Db } from '../store/db.js';
import { enqueue } from './queue.js';
import { countJobs, eventually } from './test-fixtures/helpers.js';
import { Worker } from './worker.js';

/**
 * Two workers sharing one embedded database. On PostgreSQL the same test runs in
 * multiprocess.test.ts with one pool per worker, which is the stronger setting.
 */
describe.each(backends.filter((backend) => backend.name === 'pglite'))('throughput on $name', (backend) => {
  let database: TestDatabase;
  let db: Db;
  const workers: Worker[] = [];

  beforeEach(async () => {
    database = await backend.create();
    db = database.db;
    await db.query('CREATE TABLE done (job_id text PRIMARY KEY)');
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop({ graceMs: 2_000 })));
    await database.drop();
  });

  it('runs 10,000 jobs exactly once with two workers', async () => {
    const total = 10_000;
    const started = Date.now();
    for (let batch = 0; batch < total / 1_000; batch++) {
      await db.transaction(async (tx) => {
        for (let i = 0; i < 1_000; i++)
          await enqueue(tx, { tenantId: null, type: 'bulk', payload: { batch, i } });
      });
    }
    const enqueued = Date.now();
    for (let i = 0; i < 2; i++) {
      const worker = new Worker({
        db,
        concurrency: 25,
        leaseMs: 10_000,
        pollIntervalMs: 20,
        // A duplicate run would violate done's primary key and fail loudly.
        handlers: {
          bulk: async (job) => void (await db.query('INSERT INTO done (job_id) VALUES ($1)', [job.id])),
        },
      });
      workers.push(worker);
      worker.start();
    }
    await eventually(async () => (await countJobs(db, "state = 'succeeded'")) === total, {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: 'all 10,000 jobs',
    });
    expect((await db.query<{ n: number }>('SELECT count(*) AS n FROM done'))[0]?.n).toBe(total);
    expect(await countJobs(db, "state <> 'succeeded' OR attempts <> 1")).toBe(0);
    console.info(
      `${backend.name}: 10,000 jobs enqueued in ${enqueued - started} ms, ran in ${Date.now() - enqueued} ms`,
    );
  });
});
