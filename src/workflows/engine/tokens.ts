import type { EdgeKind, WorkflowGraph } from '../../domain/workflows/index.js';
import { enqueue } from '../../jobs/queue.js';
import type { Queryable } from '../../store/db.js';
import { joinArrivals, recordJoinArrival } from '../../store/repositories/workflow-join-arrivals.js';
import { getRun, setRunStatus, type WorkflowRun } from '../../store/repositories/workflow-runs.js';
import {
  insertToken,
  runProgress,
  updateToken,
  type WorkflowToken,
  wakeableTokens,
} from '../../store/repositories/workflow-tokens.js';
import { nodeOf, outgoing, sourcesOf } from './graph.js';

/**
 * How a run moves: every node execution is a token, and every token is run by a `workflow.node` job
 * enqueued in the transaction that created (or woke) it. Following an edge creates the next token
 * under the cause `<token id>:<edge kind>`, unique per node, so a retried transaction or job can
 * never start the same step twice. Several edges leaving a node start several tokens, each with its
 * own job: parallel tracks that really run at once on the workers.
 */
export const WORKFLOW_NODE_JOB = 'workflow.node';
/** Transient failures (an SMTP outage, a timeout) are retried; then the node fails visibly. */
export const NODE_MAX_ATTEMPTS = 8;

export interface NodeJobPayload {
  readonly run_id: string;
  readonly token_id: string;
  readonly node_id: string;
}

/** Enqueues a job for the token; `reason` makes the dedupe key (start, wake:<n>, retry:<n>). */
export async function scheduleToken(tx: Queryable, token: WorkflowToken, reason: string): Promise<void> {
  const payload: NodeJobPayload = { run_id: token.runId, token_id: token.id, node_id: token.nodeId };
  await enqueue(tx, {
    tenantId: token.tenantId,
    type: WORKFLOW_NODE_JOB,
    payload,
    dedupeKey: `${WORKFLOW_NODE_JOB}:${token.id}:${reason}`,
    maxAttempts: NODE_MAX_ATTEMPTS,
  });
}

/**
 * Brings the run to `nodeId`. A join only records the arrival, and starts its own token once every
 * track leading into it has arrived (counted under the run's row lock, so two tracks arriving at
 * once cannot both think they are last — or both think they are not). A join fires once per run.
 */
export async function arriveAt(
  tx: Queryable,
  run: WorkflowRun,
  graph: WorkflowGraph,
  nodeId: string,
  cause: string,
  from: { readonly token: WorkflowToken; readonly kind: EdgeKind } | null,
): Promise<void> {
  const node = nodeOf(graph, nodeId);
  if (node.type === 'join' && from) {
    await getRun(tx, run.tenantId, run.id, true);
    await recordJoinArrival(tx, {
      tenantId: run.tenantId,
      runId: run.id,
      nodeId,
      fromNodeId: from.token.nodeId,
      tokenId: from.token.id,
    });
    const arrived = new Set(await joinArrivals(tx, run.tenantId, run.id, nodeId));
    if (!sourcesOf(graph, nodeId).every((source) => arrived.has(source))) return;
    cause = 'join';
  }
  const token = await insertToken(tx, {
    tenantId: run.tenantId,
    runId: run.id,
    nodeId,
    nodeType: node.type,
    cause,
    fromNodeId: from?.token.nodeId ?? null,
    edgeKind: from?.kind ?? null,
  });
  if (token) await scheduleToken(tx, token, 'start');
}

/** Follows the token's edges of `kinds` (each at most once); returns the kinds followed so far. */
export async function follow(
  tx: Queryable,
  run: WorkflowRun,
  graph: WorkflowGraph,
  token: WorkflowToken,
  kinds: readonly EdgeKind[],
): Promise<string[]> {
  const followed = new Set(token.followed);
  for (const kind of kinds) {
    if (followed.has(kind)) continue;
    followed.add(kind);
    for (const edge of outgoing(graph, token.nodeId, [kind])) {
      await arriveAt(tx, run, graph, edge.to, `${token.id}:${kind}`, { token, kind });
    }
  }
  return [...followed];
}

/**
 * Wakes the run's tokens waiting for one of `reasons`: each gets a job that looks again. A token
 * being executed right now only has its wake count bumped: the runner sees the count moved when it
 * records its outcome, and looks again at once instead of going to sleep on a wake it missed.
 */
export async function wakeTokens(
  tx: Queryable,
  tenantId: string,
  runId: string,
  reasons: readonly string[],
): Promise<number> {
  const tokens = await wakeableTokens(tx, tenantId, runId, reasons);
  for (const token of tokens) {
    const woken = await updateToken(tx, tenantId, token.id, { wakes: token.wakes + 1 });
    if (token.state === 'waiting') await scheduleToken(tx, woken, `wake:${woken.wakes}`);
  }
  return tokens.length;
}

/**
 * A run is finished when no token has work left: failed if a node failed without an on_failure edge
 * to follow, completed otherwise. New work (a later trigger, a retried node) makes it running again.
 * Cancelled runs stay cancelled.
 */
export async function settleRun(tx: Queryable, tenantId: string, runId: string): Promise<void> {
  // Locked first: two tracks finishing at once each see the other's token as open without it, and
  // the run would never finish. The count below is a later statement, so it sees the other's commit.
  const run = await getRun(tx, tenantId, runId, true);
  if (!run || run.status === 'cancelled') return;
  const { open, unhandledFailures } = await runProgress(tx, tenantId, runId);
  const status = open > 0 ? 'running' : unhandledFailures > 0 ? 'failed' : 'completed';
  if (status !== run.status) await setRunStatus(tx, tenantId, runId, status);
}
