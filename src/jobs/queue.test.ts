import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../../test/databases.js';
import type { Db } from '../store/db.js';
import { IllegalTransitionError } from './errors.js';
import { enqueue, setQueueLimit } from './queue.js';
import { cancelJob, getJob, listJobs, retryDeadJob } from './repository.js';
import { countJobs, createTenant } from './test-fixtures/helpers.js';

describe.each(backends)('job queue on $name', (backend) => {
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

  it('enqueues in the caller transaction: a rollback leaves no job', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query("UPDATE tenants SET name = 'Renamed' WHERE id = $1", [tenant]);
        await enqueue(tx, { tenantId: tenant, type: 'email.send', payload: { to: 'a@example.com' } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await countJobs(db)).toBe(0);

    const { job, created } = await db.transaction((tx) =>
      enqueue(tx, { tenantId: tenant, type: 'email.send', payload: { to: 'a@example.com' } }),
    );
    expect(created).toBe(true);
    expect(job).toMatchObject({
      tenantId: tenant,
      state: 'queued',
      attempts: 0,
      payload: { to: 'a@example.com' },
    });
    expect(job.id).toMatch(/^job_/);
    expect(await countJobs(db)).toBe(1);
  });

  it('treats a dedupe key as one job per tenant, forever', async () => {
    const input = { tenantId: tenant, type: 'qbo.push', payload: { n: 1 }, dedupeKey: 'qbo.push:inv_1' };
    const first = await db.transaction((tx) => enqueue(tx, input));
    const second = await db.transaction((tx) => enqueue(tx, { ...input, payload: { n: 2 } }));
    expect(first.created).toBe(true);
    expect(second).toEqual({ job: first.job, created: false });

    // Still one job after it finished: an exactly-once integration must not act twice.
    await db.query("UPDATE jobs SET state = 'cancelled', finished_at = now() WHERE id = $1", [first.job.id]);
    const third = await db.transaction((tx) => enqueue(tx, input));
    expect(third.created).toBe(false);
    expect(third.job.state).toBe('cancelled');

    // Keys are scoped per tenant; system jobs (no tenant) have their own scope.
    const other = await createTenant(db, 'Other');
    expect((await db.transaction((tx) => enqueue(tx, { ...input, tenantId: other }))).created).toBe(true);
    expect((await db.transaction((tx) => enqueue(tx, { ...input, tenantId: null }))).created).toBe(true);
    expect((await db.transaction((tx) => enqueue(tx, { ...input, tenantId: null }))).created).toBe(false);
    expect(await countJobs(db)).toBe(3);
  });

  it('rejects invalid input', async () => {
    const base = { tenantId: tenant, type: 't', payload: null };
    await expect(db.transaction((tx) => enqueue(tx, { ...base, maxAttempts: 0 }))).rejects.toThrow(
      RangeError,
    );
    await expect(db.transaction((tx) => enqueue(tx, { ...base, type: ' ' }))).rejects.toThrow(RangeError);
    await expect(db.transaction((tx) => enqueue(tx, { ...base, orderingKey: '' }))).rejects.toThrow(
      RangeError,
    );
    await expect(setQueueLimit(db, 'k', { maxConcurrent: 0 })).rejects.toThrow(RangeError);
    await expect(listJobs(db, tenant, { limit: 0 })).rejects.toThrow(RangeError);
  });

  it('stores, replaces and removes queue limits', async () => {
    await setQueueLimit(db, 'qbo:realm1', { maxConcurrent: 10, perMinute: 500 });
    await setQueueLimit(db, 'qbo:realm1', { perMinute: 100 });
    expect(await db.query('SELECT key, max_concurrent, per_minute FROM job_queue_limits')).toEqual([
      { key: 'qbo:realm1', max_concurrent: null, per_minute: 100 },
    ]);
    await setQueueLimit(db, 'qbo:realm1', {});
    expect(await db.query('SELECT key FROM job_queue_limits')).toEqual([]);
  });

  it('lists, reads and retries only the caller tenant jobs', async () => {
    const other = await createTenant(db, 'Other');
    const mine: string[] = [];
    await db.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) {
        mine.push((await enqueue(tx, { tenantId: tenant, type: i % 2 ? 'b' : 'a', payload: i })).job.id);
      }
    });
    const theirs = await db.transaction((tx) => enqueue(tx, { tenantId: other, type: 'a', payload: 'x' }));
    const system = await db.transaction((tx) => enqueue(tx, { tenantId: null, type: 'a', payload: 'y' }));
    await db.query("UPDATE jobs SET state = 'dead', finished_at = now(), attempts = 3 WHERE id = ANY($1)", [
      [mine[1], theirs.job.id, system.job.id],
    ]);

    const all = await listJobs(db, tenant, { limit: 100 });
    expect(all.map((job) => job.id)).toEqual(mine);
    const page1 = await listJobs(db, tenant, { limit: 2 });
    const page2 = await listJobs(db, tenant, { limit: 2, after: page1.at(-1)?.id ?? '' });
    expect([...page1, ...page2].map((job) => job.id)).toEqual(mine.slice(0, 4));
    expect((await listJobs(db, tenant, { limit: 10, type: 'b' })).map((job) => job.payload)).toEqual([1, 3]);
    expect((await listJobs(db, tenant, { limit: 10, state: 'dead' })).map((job) => job.id)).toEqual([
      mine[1],
    ]);
    expect(await listJobs(db, other, { limit: 10 })).toHaveLength(1);

    expect(await getJob(db, tenant, theirs.job.id)).toBeUndefined();
    expect(await getJob(db, tenant, system.job.id)).toBeUndefined();
    expect((await getJob(db, tenant, mine[0] ?? ''))?.id).toBe(mine[0]);

    // Another tenant's dead job is "not found", not retried.
    expect(await retryDeadJob(db, tenant, theirs.job.id)).toBeUndefined();
    expect((await getJob(db, other, theirs.job.id))?.state).toBe('dead');
    const retried = await retryDeadJob(db, tenant, mine[1] ?? '');
    expect(retried).toMatchObject({ state: 'queued', attempts: 0, finishedAt: null });
  });

  it('refuses to retry or cancel a job in the wrong state', async () => {
    const { job } = await db.transaction((tx) => enqueue(tx, { tenantId: tenant, type: 'a', payload: null }));
    const error = await retryDeadJob(db, tenant, job.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({
      code: 'illegal_transition',
      machine: 'job',
      from: 'queued',
      action: 'manual_retry',
    });
    expect((error as Error).message).toBe(
      'cannot manual retry a job that is queued (queued → manual_retry is not allowed)',
    );

    expect(await cancelJob(db, tenant, job.id)).toMatchObject({ state: 'cancelled' });
    await expect(cancelJob(db, tenant, job.id)).rejects.toMatchObject({ code: 'illegal_transition' });
    await expect(retryDeadJob(db, tenant, job.id)).rejects.toMatchObject({ code: 'illegal_transition' });
  });
});
