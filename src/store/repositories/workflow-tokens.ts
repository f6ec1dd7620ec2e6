import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { lockClause } from './columns.js';

/**
 * The engine's tokens, one per node execution (migration 0013_workflow_runs.ts); the runs they belong
 * to live in workflow-runs.ts, join arrivals in workflow-join-arrivals.ts. Every query is scoped to a tenant.
 */

export const TOKEN_STATES = ['pending', 'running', 'waiting', 'done', 'failed', 'cancelled'] as const;
export type TokenState = (typeof TOKEN_STATES)[number];
/** States in which a token still has work to do: a run with none of them left is finished. */
export const OPEN_TOKEN_STATES: readonly TokenState[] = ['pending', 'running', 'waiting'];

export interface WorkflowToken {
  readonly id: string;
  readonly tenantId: string;
  readonly runId: string;
  readonly nodeId: string;
  readonly nodeType: string;
  readonly cause: string;
  readonly fromNodeId: string | null;
  readonly edgeKind: string | null;
  readonly state: TokenState;
  readonly attempts: number;
  readonly error: string | null;
  readonly failureHandled: boolean;
  readonly waitingFor: string | null;
  readonly dueAt: Date | null;
  readonly jobId: string | null;
  readonly wakes: number;
  readonly retries: number;
  /** Edge kinds this token already followed (collect_payment follows `next`, later `on_payment`). */
  readonly followed: readonly string[];
  readonly result: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}

function tokenFromRow(row: Row): WorkflowToken {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    runId: String(row.run_id),
    nodeId: String(row.node_id),
    nodeType: String(row.node_type),
    cause: String(row.cause),
    fromNodeId: (row.from_node_id as string | null) ?? null,
    edgeKind: (row.edge_kind as string | null) ?? null,
    state: row.state as TokenState,
    attempts: Number(row.attempts),
    error: (row.error as string | null) ?? null,
    failureHandled: Boolean(row.failure_handled),
    waitingFor: (row.waiting_for as string | null) ?? null,
    dueAt: (row.due_at as Date | null) ?? null,
    jobId: (row.job_id as string | null) ?? null,
    wakes: Number(row.wakes),
    retries: Number(row.retries),
    followed: (row.followed as string[] | null) ?? [],
    result: (row.result as Record<string, unknown> | null) ?? {},
    createdAt: row.created_at as Date,
    startedAt: (row.started_at as Date | null) ?? null,
    updatedAt: row.updated_at as Date,
    finishedAt: (row.finished_at as Date | null) ?? null,
  };
}

/**
 * The tenant's tokens matching `where`, whose `params` bind from $2 on; `tail` is the ORDER BY and any
 * lock. The tenant condition is written here, not by the callers, so no getter can leave it out.
 */
async function findTokens(
  db: Queryable,
  tenantId: string,
  where: string,
  params: readonly unknown[],
  tail = '',
): Promise<WorkflowToken[]> {
  const rows = await db.query(`SELECT * FROM workflow_tokens WHERE tenant_id = $1 AND ${where}${tail}`, [
    tenantId,
    ...params,
  ]);
  return rows.map(tokenFromRow);
}

export interface NewToken {
  readonly tenantId: string;
  readonly runId: string;
  readonly nodeId: string;
  readonly nodeType: string;
  readonly cause: string;
  readonly fromNodeId: string | null;
  readonly edgeKind: string | null;
}

/** The token, or undefined when this cause already brought the run to this node. */
export async function insertToken(tx: Queryable, input: NewToken): Promise<WorkflowToken | undefined> {
  const [row] = await tx.query(
    `INSERT INTO workflow_tokens (tenant_id, id, run_id, node_id, node_type, cause, from_node_id, edge_kind)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (tenant_id, run_id, node_id, cause) DO NOTHING RETURNING *`,
    [
      input.tenantId,
      newId('wft'),
      input.runId,
      input.nodeId,
      input.nodeType,
      input.cause,
      input.fromNodeId,
      input.edgeKind,
    ],
  );
  return row ? tokenFromRow(row) : undefined;
}

export async function getToken(
  db: Queryable,
  tenantId: string,
  id: string,
  forUpdate = false,
): Promise<WorkflowToken | undefined> {
  const [token] = await findTokens(
    db,
    tenantId,
    'id = $2',
    [id],
    lockClause(forUpdate ? 'update' : undefined),
  );
  return token;
}

export interface TokenPatch {
  readonly state?: TokenState;
  readonly attempts?: number;
  readonly error?: string | null;
  readonly failureHandled?: boolean;
  readonly waitingFor?: string | null;
  readonly dueAt?: Date | null;
  readonly jobId?: string | null;
  readonly wakes?: number;
  readonly retries?: number;
  readonly followed?: readonly string[];
  readonly result?: Readonly<Record<string, unknown>>;
  readonly started?: boolean;
}

const patchColumns: Record<Exclude<keyof TokenPatch, 'started'>, string> = {
  state: 'state',
  attempts: 'attempts',
  error: 'error',
  failureHandled: 'failure_handled',
  waitingFor: 'waiting_for',
  dueAt: 'due_at',
  jobId: 'job_id',
  wakes: 'wakes',
  retries: 'retries',
  followed: 'followed',
  result: 'result',
};

export async function updateToken(
  tx: Queryable,
  tenantId: string,
  id: string,
  patch: TokenPatch,
): Promise<WorkflowToken> {
  const sets: string[] = [];
  const params: unknown[] = [tenantId, id];
  for (const [key, column] of Object.entries(patchColumns)) {
    const value = patch[key as keyof typeof patchColumns];
    if (value === undefined) continue;
    params.push(
      key === 'result' ? JSON.stringify(value) : key === 'followed' ? [...(value as string[])] : value,
    );
    sets.push(`${column} = $${params.length}${key === 'result' ? '::jsonb' : ''}`);
  }
  if (patch.started) sets.push('started_at = COALESCE(started_at, now())');
  if (patch.state !== undefined) {
    params.push(patch.state);
    sets.push(
      `finished_at = CASE WHEN $${params.length}::text IN ('done', 'failed', 'cancelled')
         THEN COALESCE(finished_at, now()) END`,
    );
  }
  const [row] = await tx.query(
    `UPDATE workflow_tokens SET ${[...sets, 'updated_at = now()'].join(', ')}
     WHERE tenant_id = $1 AND id = $2 RETURNING *`,
    params,
  );
  if (!row) throw new Error(`workflow token ${id} vanished`);
  return tokenFromRow(row);
}

/** Every token of a run in the order they were created. */
export async function listTokens(db: Queryable, tenantId: string, runId: string): Promise<WorkflowToken[]> {
  return findTokens(db, tenantId, 'run_id = $2', [runId], ' ORDER BY created_at, id');
}

/** A run's tokens at `nodeId`, newest first. */
export async function tokensAtNode(
  db: Queryable,
  tenantId: string,
  runId: string,
  nodeId: string,
  forUpdate = false,
): Promise<WorkflowToken[]> {
  return findTokens(
    db,
    tenantId,
    'run_id = $2 AND node_id = $3',
    [runId, nodeId],
    ` ORDER BY created_at DESC, id DESC${lockClause(forUpdate ? 'update' : undefined)}`,
  );
}

/** A run's tokens waiting for one of `reasons`, and those running now (which may be about to). */
export async function wakeableTokens(
  db: Queryable,
  tenantId: string,
  runId: string,
  reasons: readonly string[],
): Promise<WorkflowToken[]> {
  return findTokens(
    db,
    tenantId,
    `run_id = $2 AND (state = 'running' OR (state = 'waiting' AND waiting_for = ANY($3::text[])))`,
    [runId, [...reasons]],
    ' ORDER BY id',
  );
}

/** Counts of a run's open tokens and of its failures that no on_failure edge handled. */
export async function runProgress(
  db: Queryable,
  tenantId: string,
  runId: string,
): Promise<{ open: number; unhandledFailures: number }> {
  const [row] = await db.query(
    `SELECT count(*) FILTER (WHERE state IN ('pending', 'running', 'waiting')) AS open,
            count(*) FILTER (WHERE state = 'failed' AND NOT failure_handled) AS failed
     FROM workflow_tokens WHERE tenant_id = $1 AND run_id = $2`,
    [tenantId, runId],
  );
  return { open: Number(row?.open ?? 0), unhandledFailures: Number(row?.failed ?? 0) };
}

/** Cancels every open token of a run (a voided or archived invoice). */
export async function cancelOpenTokens(tx: Queryable, tenantId: string, runId: string): Promise<number> {
  const rows = await tx.query(
    `UPDATE workflow_tokens SET state = 'cancelled', waiting_for = NULL, updated_at = now(),
       finished_at = now()
     WHERE tenant_id = $1 AND run_id = $2 AND state IN ('pending', 'running', 'waiting') RETURNING id`,
    [tenantId, runId],
  );
  return rows.length;
}
