import { enqueue } from '../jobs/queue.js';
import type { Db, Queryable } from '../store/db.js';
import type { Provider } from '../store/repositories/integration-connections.js';

/**
 * A job that re-reads one connection's changes from its provider (Stripe's event reconciliation,
 * QuickBooks' change data capture): catching what a missed webhook would have lost. Both are run the
 * same way, so this is the one place that says how.
 */
export interface ConnectionSweep {
  /** The job type; its payload is `{ connection_id }`. */
  readonly type: string;
  readonly provider: Provider;
  /** Sweeps of one connection run one at a time, under this ordering key's prefix. */
  readonly orderingPrefix: string;
}

/**
 * Enqueues one sweep of a connection. `key` names the run (a schedule period, 'connected'): one job
 * per key however often this is called.
 */
export async function enqueueConnectionSweep(
  tx: Queryable,
  sweep: ConnectionSweep,
  tenantId: string,
  connectionId: string,
  key: string,
): Promise<void> {
  await enqueue(tx, {
    tenantId,
    type: sweep.type,
    payload: { connection_id: connectionId },
    dedupeKey: `${sweep.type}:${connectionId}:${key}`,
    orderingKey: `${sweep.orderingPrefix}:${connectionId}`,
  });
}

/**
 * For the process's scheduler: one sweep per connected account of the provider per period of
 * `everyMs`. Calling it again within a period enqueues nothing more (the period is in the key).
 */
export async function scheduleConnectionSweeps(
  db: Db,
  sweep: ConnectionSweep,
  now: Date,
  everyMs: number,
): Promise<number> {
  const period = Math.floor(now.getTime() / everyMs);
  const connections = await db.query<{ tenant_id: string; id: string }>(
    `SELECT tenant_id, id FROM integration_connections WHERE provider = $1 AND status = 'connected'`,
    [sweep.provider],
  );
  for (const connection of connections) {
    await db.transaction((tx) =>
      enqueueConnectionSweep(tx, sweep, connection.tenant_id, connection.id, `period-${everyMs}-${period}`),
    );
  }
  return connections.length;
}
