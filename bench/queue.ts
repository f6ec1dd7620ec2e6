import { createTenant } from '../src/access/repository.js';
import { enqueue } from '../src/jobs/queue.js';
import { Worker } from '../src/jobs/worker.js';
import type { Db } from '../src/store/db.js';
import { type Figure, perSecond, timed } from './measure.js';

/**
 * Queue throughput: `jobs` jobs enqueued in one transaction, then drained by `workers` Worker
 * instances (each on its own connection pool when `connect` is given, as separate processes would be).
 */
export async function benchQueue(
  label: string,
  db: Db,
  options: { jobs: number; workers: number; concurrency: number; connect?: () => Db },
): Promise<Figure[]> {
  const tenant = (await createTenant(db, 'Queue bench')).id;
  const { ms: enqueueMs } = await timed(() =>
    db.transaction(async (tx) => {
      for (let i = 0; i < options.jobs; i++) {
        await enqueue(tx, {
          tenantId: tenant,
          type: 'bench.noop',
          payload: { i },
          dedupeKey: `${tenant}:${i}`,
        });
      }
    }),
  );
  const pools: Db[] = [];
  const workers = Array.from({ length: options.workers }, (_, i) => {
    const handle = options.connect ? options.connect() : db;
    if (options.connect) pools.push(handle);
    return new Worker({
      db: handle,
      concurrency: options.concurrency,
      pollIntervalMs: 5,
      workerId: `bench-${i}`,
      handlers: { 'bench.noop': async () => null },
    });
  });
  const { ms: drainMs } = await timed(async () => {
    for (const worker of workers) worker.start();
    for (;;) {
      const [row] = await db.query<{ left: number }>(
        "SELECT count(*)::int AS left FROM jobs WHERE tenant_id = $1 AND state <> 'succeeded'",
        [tenant],
      );
      if (row?.left === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  await Promise.all(workers.map((worker) => worker.stop()));
  await Promise.all(pools.map((pool) => pool.close()));
  return [
    {
      name: `queue enqueue (${label})`,
      value: perSecond(options.jobs, enqueueMs),
      detail: `${options.jobs} jobs in one transaction, ${enqueueMs.toFixed(0)} ms`,
    },
    {
      name: `queue claim+run+complete (${label})`,
      value: perSecond(options.jobs, drainMs),
      detail: `${options.jobs} no-op jobs, ${options.workers} workers × concurrency ${options.concurrency}, ${drainMs.toFixed(0)} ms`,
    },
  ];
}
