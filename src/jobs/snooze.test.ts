import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../../test/databases.js';
import type { Db } from '../store/db.js';
import { RetryAfterError, SnoozeJobError } from './errors.js';
import { enqueue } from './queue.js';
import { getJob } from './repository.js';
import { createTenant, ManualClock } from './test-fixtures/helpers.js';
import { Worker } from './worker.js';

describe.each(backends)('snoozing jobs on $name', (backend) => {
  let database: TestDatabase;
  let db: Db;
  let tenant: string;

  beforeEach(async () => {
    database = await backend.create();
    db = database.db;
    tenant = await createTenant(db);
  });
  afterEach(async () => {
    await database.drop();
  });

  const add = async (type: string, maxAttempts: number) =>
    (await db.transaction((tx) => enqueue(tx, { tenantId: tenant, type, payload: {}, maxAttempts }))).job;

  it('gives the attempt back and waits snoozeMs, however often the job snoozes', async () => {
    const clock = new ManualClock();
    const job = await add('waits', 2);
    let runs = 0;
    const worker = new Worker({
      db,
      now: clock.now,
      handlers: {
        waits: async () => {
          runs += 1;
          if (runs <= 5) throw new SnoozeJobError('waiting for a person to reconnect', 60_000);
          return 'done';
        },
      },
    });
    for (let snoozes = 1; snoozes <= 5; snoozes += 1) {
      expect(await worker.runOnce()).toBe(1);
      const waiting = await getJob(db, tenant, job.id);
      expect(waiting).toMatchObject({
        state: 'queued',
        attempts: 0,
        lastError: expect.stringContaining('reconnect'),
      });
      expect(waiting?.runAt.getTime()).toBe(clock.now().getTime() + 60_000);
      clock.advance(59_000);
      expect(await worker.runOnce()).toBe(0); // not due yet
      clock.advance(1_000);
    }
    expect(await worker.runOnce()).toBe(1);
    expect(await getJob(db, tenant, job.id)).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(runs).toBe(6);
  });

  it('unlike RetryAfterError, which uses attempts up and dead-letters', async () => {
    const clock = new ManualClock();
    const job = await add('throttled', 2);
    const worker = new Worker({
      db,
      now: clock.now,
      handlers: {
        throttled: async () => {
          throw new RetryAfterError('slow down', 1_000);
        },
      },
    });
    expect(await worker.runOnce()).toBe(1);
    expect(await getJob(db, tenant, job.id)).toMatchObject({ state: 'queued', attempts: 1 });
    clock.advance(1_000);
    expect(await worker.runOnce()).toBe(1);
    expect(await getJob(db, tenant, job.id)).toMatchObject({ state: 'dead', attempts: 2 });
  });

  it('logs a snooze at debug, not as a failure; a retry still warns', async () => {
    const logged: { level: string; msg: string | undefined }[] = [];
    const at =
      (level: string) =>
      (_obj: object, msg?: string): void => {
        logged.push({ level, msg });
      };
    await add('waits', 3);
    await add('flaky', 3);
    const worker = new Worker({
      db,
      logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
      handlers: {
        waits: async () => {
          throw new SnoozeJobError('waiting for the payment link', 60_000);
        },
        flaky: async () => {
          throw new Error('connection reset');
        },
      },
    });
    expect(await worker.runOnce()).toBe(2);
    expect(logged).toEqual(
      expect.arrayContaining([
        { level: 'debug', msg: 'job snoozed' },
        { level: 'warn', msg: 'job failed' },
      ]),
    );
    expect(logged).toHaveLength(2);
  });
});

describe('SnoozeJobError', () => {
  it('refuses a negative or non-finite snooze', () => {
    expect(() => new SnoozeJobError('x', -1)).toThrow(RangeError);
    expect(() => new SnoozeJobError('x', Number.NaN)).toThrow(RangeError);
  });
});
