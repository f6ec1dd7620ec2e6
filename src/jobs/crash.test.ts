import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../../test/databases.js';
import type { Db } from '../store/db.js';
import { enqueue } from './queue.js';
import { getJob } from './repository.js';
import { createTenant, eventually } from './test-fixtures/helpers.js';
import { Worker } from './worker.js';

/**
 * A worker process dies mid-job: no heartbeat, no release, no outcome. On PostgreSQL it runs on its
 * own pool, which is then closed (its connections go away as a dead process's would); on PGlite it
 * is a Worker instance that is abandoned. Another worker must run the job once the lease expires.
 */
describe.each(backends)('worker crash on $name', (backend) => {
  let database: TestDatabase;
  let db: Db;
  let tenant: string;

  beforeEach(async () => {
    database = await backend.create();
    db = database.db;
    tenant = await createTenant(db);
    await db.query('CREATE TABLE effects (job_id text PRIMARY KEY, attempt integer NOT NULL)');
  });
  afterEach(async () => {
    await database.drop();
  });

  it('runs a job again after its worker died, exactly once in effect', async () => {
    const { job } = await db.transaction(async (tx) => {
      await tx.query("UPDATE tenants SET name = 'with job' WHERE id = $1", [tenant]);
      return enqueue(tx, { tenantId: tenant, type: 'post', payload: {}, maxAttempts: 3 });
    });
    const doomedDb = backend.name === 'postgres' ? database.connectAgain() : db;
    let hung = 0;
    const doomed = new Worker({
      db: doomedDb,
      leaseMs: 1_500,
      pollIntervalMs: 10,
      workerId: 'doomed',
      // Hangs forever before committing its effect, like a process that is about to be killed.
      handlers: {
        post: () => {
          hung += 1;
          return new Promise(() => undefined);
        },
      },
    });
    doomed.start();
    await eventually(async () => (await getJob(db, tenant, job.id))?.state === 'running', {
      what: 'the doomed worker to claim the job',
    });
    doomed.crash();
    if (doomedDb !== db) await doomedDb.close();

    const survivor = new Worker({
      db,
      leaseMs: 1_500,
      pollIntervalMs: 20,
      workerId: 'survivor',
      handlers: {
        post: async (running) => {
          await db.query('INSERT INTO effects (job_id, attempt) VALUES ($1, $2)', [
            running.id,
            running.attempts,
          ]);
          return 'posted';
        },
      },
    });
    // The lease is still held (at least two thirds of it is left): nobody may take the job yet.
    expect(await survivor.runOnce()).toBe(0);
    survivor.start();
    try {
      const done = await eventually(
        async () => {
          const current = await getJob(db, tenant, job.id);
          return current?.state === 'succeeded' ? current : undefined;
        },
        { what: 'the survivor to run the job' },
      );
      expect(hung).toBe(1);
      expect(done).toMatchObject({ attempts: 2, result: 'posted' });
      expect(done.lastError).toMatch(/^lease expired: worker doomed#/);
      expect(await db.query('SELECT job_id, attempt FROM effects')).toEqual([{ job_id: job.id, attempt: 2 }]);
    } finally {
      await survivor.stop();
    }
  });

  it('dead-letters a job whose worker died on its last attempt', async () => {
    const { job } = await db.transaction((tx) =>
      enqueue(tx, { tenantId: tenant, type: 'post', payload: {}, maxAttempts: 1 }),
    );
    const doomed = new Worker({ db, leaseMs: 100, handlers: { post: () => new Promise(() => undefined) } });
    doomed.start();
    await eventually(async () => (await getJob(db, tenant, job.id))?.state === 'running');
    doomed.crash();
    const reaper = new Worker({ db, leaseMs: 100, handlers: {} });
    const dead = await eventually(async () => {
      await reaper.runOnce();
      const current = await getJob(db, tenant, job.id);
      return current?.state === 'dead' ? current : undefined;
    });
    expect(dead).toMatchObject({ attempts: 1, leaseOwner: null });
    expect(dead.finishedAt).toBeInstanceOf(Date);
  });
});
