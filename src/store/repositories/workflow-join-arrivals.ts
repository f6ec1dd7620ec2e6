import type { Queryable } from '../db.js';

/**
 * Which incoming tracks reached a join node (migration 0013_workflow_runs.ts): one row per source node,
 * so the join fires once all of them arrived. Every query is scoped to a tenant.
 */

/** Records that the track from `fromNodeId` reached the join; false if it had arrived before. */
export async function recordJoinArrival(
  tx: Queryable,
  input: { tenantId: string; runId: string; nodeId: string; fromNodeId: string; tokenId: string },
): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO workflow_join_arrivals (tenant_id, run_id, node_id, from_node_id, token_id)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1 AS inserted`,
    [input.tenantId, input.runId, input.nodeId, input.fromNodeId, input.tokenId],
  );
  return rows.length > 0;
}

export async function joinArrivals(
  db: Queryable,
  tenantId: string,
  runId: string,
  nodeId: string,
): Promise<string[]> {
  const rows = await db.query<{ from_node_id: string }>(
    `SELECT from_node_id FROM workflow_join_arrivals WHERE tenant_id = $1 AND run_id = $2 AND node_id = $3
     ORDER BY arrived_at, from_node_id`,
    [tenantId, runId, nodeId],
  );
  return rows.map((row) => row.from_node_id);
}
