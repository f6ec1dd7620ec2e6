import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresOnly, type TestDatabase } from '../../test/databases.js';
import type { Db } from '../store/db.js';
import { type EnqueueInput, enqueue, setQueueLimit } from './queue.js';
import { countJobs, eventually } from './test-fixtures/helpers.js';
import { type JobHandler, Worker } from './worker.js';

/**
 * Workers on separate pools of one PostgreSQL database: separate sessions, as separate processes
 * on separate machines would have. Only registered when TEST_DATABASE_URL is set.
 */
describe.skipIf(!postgresOnly)('workers in several processes on postgres', () => {
  let database: TestDatabase;
  let db: Db;
  const workers: Worker[] = [];

  beforeEach(async () => {
    if (!postgresOnly) throw new Error('unreachable');
    database = await postgresOnly.create();
    db = database.db;
    await db.exec(`
      CREATE TABLE runs (
        job_id text PRIMARY KEY,
        worker text NOT NULL,
        ordering_key text,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        ended_at timestamptz
      );
      CREATE TABLE done (job_id text PRIMARY KEY);
    `);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop({ graceMs: 2_000 })));
    await database.drop();
  });

  /** One Worker per "process", each on its own pool. */
  const startProcesses = (
    count: number,
    handlers: Record<string, JobHandler>,
    concurrency: number,
    leaseMs: number,
  ) => {
    for (let i = 0; i < count; i++) {
      const worker = new Worker({
        db: database.connectAgain(),
        handlers,
        concurrency,
        leaseMs,
        pollIntervalMs: 20,
        workerId: `process-${i}`,
      });
      workers.push(worker);
      worker.start();
    }
  };
  const addAll = async (inputs: Omit<EnqueueInput, 'tenantId'>[], perTransaction = 500) => {
    for (let start = 0; start < inputs.length; start += perTransaction) {
      await db.transaction(async (tx) => {
        for (const input of inputs.slice(start, start + perTransaction))
          await enqueue(tx, { tenantId: null, ...input });
      });
    }
  };
  const recordRun: JobHandler = async (job) => {
    // A second run of the job would violate runs' primary key and fail loudly.
    await db.query('INSERT INTO runs (job_id, worker, ordering_key) VALUES ($1, $2, $3)', [
      job.id,
      job.leaseOwner,
      job.orderingKey,
    ]);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
    await db.query('UPDATE runs SET ended_at = clock_timestamp() WHERE job_id = $1', [job.id]);
  };

  it('never runs a job twice, nor two jobs of an ordering key at once', async () => {
    const inputs: Omit<EnqueueInput, 'tenantId'>[] = [];
    for (let i = 0; i < 300; i++) {
      inputs.push(
        i % 3 === 0 ? { type: 'run', payload: i } : { type: 'run', payload: i, orderingKey: `k${i % 5}` },
      );
    }
    await addAll(inputs);
    startProcesses(3, { run: recordRun }, 8, 2_000);
    await eventually(async () => (await countJobs(db, "state = 'succeeded'")) === inputs.length, {
      what: 'all jobs to succeed',
    });
    expect(await countJobs(db, 'attempts <> 1')).toBe(0);
    const runs = await db.query<{ n: number; workers: number }>(
      'SELECT count(*) AS n, count(DISTINCT worker) AS workers FROM runs WHERE ended_at IS NOT NULL',
    );
    expect(runs[0]?.n).toBe(inputs.length);
    expect(runs[0]?.workers).toBeGreaterThan(1);
    const overlapping = await db.query(
      `SELECT a.job_id, b.job_id FROM runs a JOIN runs b
         ON a.ordering_key = b.ordering_key AND a.job_id < b.job_id
        AND a.started_at < b.ended_at AND b.started_at < a.ended_at`,
    );
    expect(overlapping).toEqual([]);
    // Enqueue order per key (ids sort by enqueue time here: one process, one transaction at a time).
    const outOfOrder = await db.query(
      `SELECT a.job_id FROM runs a JOIN runs b
         ON a.ordering_key = b.ordering_key AND a.job_id < b.job_id AND a.started_at > b.started_at`,
    );
    expect(outOfOrder).toEqual([]);
  });

  it('holds a concurrency limit across processes', async () => {
    await setQueueLimit(db, 'qbo:realm123', { maxConcurrent: 4 });
    await addAll(
      Array.from({ length: 80 }, (_, i) => ({ type: 'run', payload: i, concurrencyKey: 'qbo:realm123' })),
    );
    let current = 0;
    let peak = 0;
    const run: JobHandler = async (job, context) => {
      peak = Math.max(peak, ++current);
      try {
        await recordRun(job, context);
      } finally {
        current -= 1;
      }
    };
    startProcesses(3, { run }, 6, 2_000);
    await eventually(async () => (await countJobs(db, "state = 'succeeded'")) === 80, { what: 'all jobs' });
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(4);
  });

  it('runs 10,000 jobs exactly once with two processes', async () => {
    const total = 10_000;
    const enqueueStarted = Date.now();
    await addAll(
      Array.from({ length: total }, (_, i) => ({ type: 'bulk', payload: { i } })),
      1_000,
    );
    const enqueueMs = Date.now() - enqueueStarted;
    const runStarted = Date.now();
    startProcesses(
      2,
      { bulk: async (job) => void (await db.query('INSERT INTO done (job_id) VALUES ($1)', [job.id])) },
      25,
      10_000,
    );
    await eventually(async () => (await countJobs(db, "state = 'succeeded'")) === total, {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: 'all 10,000 jobs',
    });
    const runMs = Date.now() - runStarted;
    expect((await db.query<{ n: number }>('SELECT count(*) AS n FROM done'))[0]?.n).toBe(total);
    expect(await countJobs(db, "state <> 'succeeded' OR attempts <> 1")).toBe(0);
    console.info(`10,000 jobs: enqueued in ${enqueueMs} ms, ran in ${runMs} ms`);
  });
});
