import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../../test/databases.js';
import type { Db } from '../store/db.js';
import { RetryableJobError } from './errors.js';
import { type EnqueueInput, enqueue, setQueueLimit } from './queue.js';
import { countJobs, createTenant, eventually, ManualClock, sleep } from './test-fixtures/helpers.js';
import { type JobHandler, Worker } from './worker.js';

describe.each(backends)('ordering and limits on $name', (backend) => {
  let database: TestDatabase;
  let db: Db;
  let tenant: string;
  const workers: Worker[] = [];

  beforeEach(async () => {
    database = await backend.create();
    db = database.db;
    tenant = await createTenant(db);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop({ graceMs: 1_000 })));
    await database.drop();
  });

  const startWorkers = (count: number, handlers: Record<string, JobHandler>, concurrency: number) => {
    for (let i = 0; i < count; i++) {
      const worker = new Worker({
        db,
        handlers,
        concurrency,
        leaseMs: 2_000,
        pollIntervalMs: 10,
        workerId: `w${i}`,
        backoff: { baseMs: 5, maxMs: 20 },
      });
      workers.push(worker);
      worker.start();
    }
  };
  const addAll = (inputs: Omit<EnqueueInput, 'tenantId'>[]) =>
    db.transaction(async (tx) => {
      for (const input of inputs) await enqueue(tx, { tenantId: tenant, ...input });
    });
  const allSucceeded = async (total: number) => (await countJobs(db, "state = 'succeeded'")) === total;

  it('runs jobs sharing an ordering key one at a time, in enqueue order, even across retries', async () => {
    const keys = ['invoice:a', 'invoice:b', 'invoice:c'];
    const inputs: Omit<EnqueueInput, 'tenantId'>[] = [];
    for (let i = 0; i < 12; i++) {
      for (const key of keys) inputs.push({ type: 'step', payload: { key, i }, orderingKey: key });
      inputs.push({ type: 'step', payload: { key: null, i } }); // unordered jobs mixed in
    }
    await addAll(inputs);

    const running = new Set<string>();
    const overlaps: string[] = [];
    const completed = new Map<string, number[]>(keys.map((key) => [key, []]));
    let failedOnce = false;
    const step: JobHandler = async (job) => {
      const { key, i } = job.payload as { key: string | null; i: number };
      if (key === null) return;
      if (running.has(key)) overlaps.push(`${key}#${i}`);
      running.add(key);
      try {
        await sleep(Math.random() * 4);
        // The head of a key failing must hold back the rest of the key until it is retried.
        if (key === 'invoice:b' && i === 3 && !failedOnce) {
          failedOnce = true;
          throw new RetryableJobError('transient');
        }
        completed.get(key)?.push(i);
      } finally {
        running.delete(key);
      }
    };
    startWorkers(3, { step }, 5);
    await eventually(() => allSucceeded(inputs.length), { what: 'all jobs to succeed' });
    expect(overlaps).toEqual([]);
    expect(failedOnce).toBe(true);
    const inOrder = Array.from({ length: 12 }, (_, i) => i);
    for (const key of keys) expect(completed.get(key)).toEqual(inOrder);
    expect(await db.query('SELECT * FROM job_ordering_leases')).toEqual([]);
  });

  it('holds a concurrency limit across several workers', async () => {
    await setQueueLimit(db, 'qbo:realm1', { maxConcurrent: 3 });
    const inputs: Omit<EnqueueInput, 'tenantId'>[] = [];
    for (let i = 0; i < 24; i++)
      inputs.push({ type: 'sync', payload: { limited: true }, concurrencyKey: 'qbo:realm1' });
    for (let i = 0; i < 12; i++)
      inputs.push({ type: 'sync', payload: { limited: false }, concurrencyKey: 'free' });
    await addAll(inputs);

    let current = 0;
    let peak = 0;
    const sync: JobHandler = async (job) => {
      const limited = (job.payload as { limited: boolean }).limited;
      if (limited) peak = Math.max(peak, ++current);
      await sleep(15);
      if (limited) current -= 1;
    };
    startWorkers(3, { sync }, 4);
    await eventually(() => allSucceeded(inputs.length), { what: 'all jobs to succeed' });
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('holds a per-minute rate limit over a sliding window (injected clock)', async () => {
    const clock = new ManualClock();
    await setQueueLimit(db, 'stripe:acct1', { perMinute: 4 });
    await addAll(
      Array.from({ length: 10 }, (_, i) => ({ type: 'charge', payload: i, concurrencyKey: 'stripe:acct1' })),
    );
    const options = { db, handlers: { charge: async () => 'ok' }, concurrency: 10, now: clock.now };
    const [a, b] = [new Worker(options), new Worker(options)];

    expect(await a.runOnce()).toBe(4);
    expect(await b.runOnce()).toBe(0);
    clock.advance(30_000);
    expect(await a.runOnce()).toBe(0);
    clock.advance(29_999); // the first four started 59.999 s ago: still inside the window
    expect(await b.runOnce()).toBe(0);
    clock.advance(1); // a start counts for [t, t + 60 s)
    expect(await b.runOnce()).toBe(4);
    clock.advance(60_000);
    expect(await a.runOnce()).toBe(2);
    expect(await countJobs(db, "state = 'succeeded'")).toBe(10);
  });
});
