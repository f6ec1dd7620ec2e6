import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../../test/databases.js';
import type { Db } from '../store/db.js';
import { PermanentJobError, RetryAfterError, RetryableJobError } from './errors.js';
import type { Job } from './job.js';
import { enqueue } from './queue.js';
import { getJob, retryDeadJob } from './repository.js';
import { createTenant, eventually, ManualClock, sleep } from './test-fixtures/helpers.js';
import { type JobHandler, Worker, type WorkerOptions } from './worker.js';

describe.each(backends)('worker on $name', (backend) => {
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

  const worker = (handlers: Record<string, JobHandler>, options: Partial<WorkerOptions> = {}) => {
    const created = new Worker({ db, handlers, leaseMs: 2_000, pollIntervalMs: 20, ...options });
    workers.push(created);
    return created;
  };
  const add = async (type: string, extra: { maxAttempts?: number; payload?: unknown } = {}) =>
    (
      await db.transaction((tx) =>
        enqueue(tx, { tenantId: tenant, type, payload: extra.payload ?? {}, ...extra }),
      )
    ).job;
  const read = async (job: Job) => {
    const found = await getJob(db, tenant, job.id);
    if (!found) throw new Error(`job ${job.id} vanished`);
    return found;
  };

  it('runs a job and stores what the handler resolved with', async () => {
    const job = await add('sum', { payload: { a: 2, b: 3 } });
    const seen: unknown[] = [];
    const w = worker({
      sum: async (running) => {
        seen.push(running.payload);
        const { a, b } = running.payload as { a: number; b: number };
        return { total: a + b };
      },
    });
    expect(await w.runOnce()).toBe(1);
    expect(seen).toEqual([{ a: 2, b: 3 }]);
    expect(await read(job)).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      result: { total: 5 },
      leaseOwner: null,
    });
    expect((await read(job)).finishedAt).toBeInstanceOf(Date);
    expect(await w.runOnce()).toBe(0);
  });

  it('retries with exponential backoff, then succeeds', async () => {
    const clock = new ManualClock();
    const job = await add('flaky');
    let calls = 0;
    const w = worker(
      {
        flaky: async () => {
          calls += 1;
          if (calls === 1) throw new RetryableJobError('QuickBooks is down');
          if (calls === 2) throw new Error('socket hang up'); // unclassified errors are retryable too
          return 'ok';
        },
      },
      { now: clock.now, backoff: { baseMs: 1_000, jitter: 0 } },
    );
    expect(await w.runOnce()).toBe(1);
    const afterFirst = await read(job);
    expect(afterFirst).toMatchObject({
      state: 'queued',
      attempts: 1,
      lastError: 'RetryableJobError: QuickBooks is down',
    });
    expect(afterFirst.runAt.getTime()).toBe(clock.now().getTime() + 1_000);

    clock.advance(999);
    expect(await w.runOnce()).toBe(0);
    clock.advance(1);
    expect(await w.runOnce()).toBe(1);
    const afterSecond = await read(job);
    expect(afterSecond.runAt.getTime()).toBe(clock.now().getTime() + 2_000); // doubled

    clock.advance(2_000);
    expect(await w.runOnce()).toBe(1);
    expect(await read(job)).toMatchObject({ state: 'succeeded', attempts: 3, result: 'ok' });
  });

  it('dead-letters a permanent error at once', async () => {
    const job = await add('strict', { maxAttempts: 5 });
    const w = worker({
      strict: async () => {
        throw new PermanentJobError('invoice has no lines');
      },
    });
    expect(await w.runOnce()).toBe(1);
    expect(await read(job)).toMatchObject({
      state: 'dead',
      attempts: 1,
      lastError: 'PermanentJobError: invoice has no lines',
    });
    expect(await w.runOnce()).toBe(0);
  });

  it('dead-letters a job whose retries are exhausted, and runs it again when retried', async () => {
    const job = await add('doomed', { maxAttempts: 3 });
    let failing = true;
    let calls = 0;
    const w = worker(
      {
        doomed: async () => {
          calls += 1;
          if (failing) throw new Error('token=abc123 rejected');
          return 'fixed';
        },
      },
      { backoff: { baseMs: 1, maxMs: 5 } },
    );
    await eventually(
      async () => {
        if ((await read(job)).state === 'dead') return true;
        await w.runOnce();
        return false;
      },
      { what: 'the job to be dead-lettered' },
    );
    const dead = await read(job);
    expect(dead).toMatchObject({ attempts: 3 });
    expect(calls).toBe(3);
    expect(dead.lastError).toBe('attempts exhausted: Error: token=[redacted] rejected');

    failing = false;
    expect(await retryDeadJob(db, tenant, job.id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await w.runOnce()).toBe(1);
    expect(await read(job)).toMatchObject({ state: 'succeeded', attempts: 1, result: 'fixed' });
  });

  it('honours RetryAfterError exactly (injected clock)', async () => {
    const clock = new ManualClock();
    const job = await add('api', { maxAttempts: 2 });
    let calls = 0;
    const w = worker(
      {
        api: async () => {
          calls += 1;
          if (calls === 1) throw new RetryAfterError('HTTP 429', 30_000);
          return 'done';
        },
      },
      { now: clock.now, backoff: { baseMs: 1 } },
    );
    await w.runOnce();
    expect((await read(job)).runAt.getTime()).toBe(clock.now().getTime() + 30_000);
    clock.advance(29_999);
    expect(await w.runOnce()).toBe(0);
    clock.advance(1);
    expect(await w.runOnce()).toBe(1);
    expect(await read(job)).toMatchObject({ state: 'succeeded', attempts: 2 });
  });

  it('honours RetryAfterError in a running worker (real clock)', async () => {
    const job = await add('api');
    const starts: number[] = [];
    const w = worker({
      api: async () => {
        starts.push(Date.now());
        if (starts.length === 1) throw new RetryAfterError('HTTP 429', 300);
      },
    });
    w.start();
    await eventually(async () => (await read(job)).state === 'succeeded', { what: 'the retried job' });
    expect(starts).toHaveLength(2);
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(295);
  });

  it('dead-letters a job of an unknown type', async () => {
    const job = await add('nobody.handles.this');
    expect(await worker({}).runOnce()).toBe(1);
    expect(await read(job)).toMatchObject({
      state: 'dead',
      lastError: 'no handler registered for job type nobody.handles.this',
    });
  });

  it('releases unfinished jobs on stop without burning an attempt', async () => {
    const slow = await add('slow');
    const quick = await add('quick');
    let aborted = false;
    const w = worker({
      slow: (_job, { signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          });
        }),
      quick: async () => {
        await sleep(50);
        return 'quick done';
      },
    });
    w.start();
    await eventually(async () => (await read(slow)).state === 'running', { what: 'the slow job to start' });
    await w.stop({ graceMs: 300 });
    expect(aborted).toBe(true);
    expect(await read(quick)).toMatchObject({ state: 'succeeded' }); // finished within the grace period
    expect(await read(slow)).toMatchObject({ state: 'queued', attempts: 0, leaseOwner: null });
  });

  it('keeps the lease alive with heartbeats while a handler runs longer than leaseMs', async () => {
    const job = await add('long');
    let runs = 0;
    const w = worker(
      {
        long: async (_job, { heartbeat }) => {
          runs += 1;
          await sleep(500);
          await heartbeat();
          await sleep(500);
        },
      },
      { leaseMs: 300 },
    );
    const other = worker(
      {
        long: async () => {
          runs += 100;
        },
      },
      { leaseMs: 300 },
    );
    const running = w.runOnce();
    // Another worker reaping and claiming meanwhile finds nothing: the lease never expires.
    for (let i = 0; i < 8; i++) {
      expect(await other.runOnce()).toBe(0);
      await sleep(100);
    }
    expect(await running).toBe(1);
    expect(runs).toBe(1);
    expect(await read(job)).toMatchObject({ state: 'succeeded', attempts: 1 });
  });
});
