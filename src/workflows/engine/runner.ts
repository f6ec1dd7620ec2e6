import type { WorkflowGraph } from '../../domain/workflows/index.js';
import { describeError, PermanentJobError, SnoozeJobError } from '../../jobs/errors.js';
import type { Job } from '../../jobs/job.js';
import type { Queryable } from '../../store/db.js';
import { getInvoice } from '../../store/repositories/invoices.js';
import { appendInvoiceEvent } from '../../store/repositories/timeline.js';
import { getRun, type WorkflowRun } from '../../store/repositories/workflow-runs.js';
import { getToken, updateToken, type WorkflowToken } from '../../store/repositories/workflow-tokens.js';
import { cancelRun } from './cancel.js';
import { executeNode } from './executors.js';
import { definitionOf, hasEdge, nodeOf } from './graph.js';
import { follow, type NodeJobPayload, settleRun } from './tokens.js';
import type { EngineDeps, Outcome, TimelineNote } from './types.js';

const BUSY_RETRY_MS = 500;
const ACTOR = 'workflow';

type Claim =
  | { readonly kind: 'skip'; readonly reason: string }
  | {
      readonly kind: 'run';
      readonly run: WorkflowRun;
      readonly token: WorkflowToken;
      readonly graph: WorkflowGraph;
    };

/**
 * The `workflow.node` job: claim the token, execute its node, record the outcome.
 *
 * Claiming marks the token running under this job's id, so one job at a time executes a token; a
 * job that finds another live job on it comes back shortly. A job re-run after its worker died finds
 * its own claim and executes the node again — every node's side effect is keyed (the email's
 * idempotency key, the Stripe and QuickBooks push jobs' dedupe keys) so the repeat changes nothing.
 * Locks are taken invoice → run → token everywhere, so the engine cannot deadlock with billing.
 */
export function workflowNodeHandler(deps: EngineDeps) {
  return async (job: Job): Promise<unknown> => {
    const tenantId = job.tenantId;
    const payload = job.payload as Partial<NodeJobPayload> | null;
    if (tenantId === null || typeof payload?.token_id !== 'string') {
      throw new PermanentJobError('workflow.node needs a tenant and a token_id');
    }
    const claim = await claimToken(deps, tenantId, payload.token_id, job.id);
    if (claim.kind === 'skip') return { skipped: claim.reason };
    const { run, token, graph } = claim;
    let outcome: Outcome;
    try {
      outcome = await executeNode({
        deps,
        run,
        token,
        graph,
        node: nodeOf(graph, token.nodeId),
        now: new Date(),
      });
    } catch (error) {
      const final = error instanceof PermanentJobError || job.attempts >= job.maxAttempts;
      if (!final) {
        await deps.db.query('UPDATE workflow_tokens SET error = $3 WHERE tenant_id = $1 AND id = $2', [
          tenantId,
          token.id,
          describeError(error),
        ]);
        throw error;
      }
      outcome = { kind: 'fail', error: error instanceof Error ? error.message : describeError(error) };
    }
    return applyOutcome(deps, claim, job.id, outcome);
  };
}

async function claimToken(
  deps: EngineDeps,
  tenantId: string,
  tokenId: string,
  jobId: string,
): Promise<Claim> {
  return deps.db.transaction(async (tx) => {
    const peek = await getToken(tx, tenantId, tokenId);
    if (!peek) return { kind: 'skip', reason: 'the token no longer exists' };
    const run = await getRun(tx, tenantId, peek.runId, true);
    const token = await getToken(tx, tenantId, tokenId, true);
    if (!run || !token) return { kind: 'skip', reason: 'the run no longer exists' };
    if (run.status === 'cancelled' || !['pending', 'running', 'waiting'].includes(token.state)) {
      return { kind: 'skip', reason: `the token is ${token.state} and the run ${run.status}` };
    }
    if (run.invoiceId !== null) {
      // Void and archived invoices cancel their run wherever the change came from.
      const invoice = await getInvoice(tx, tenantId, run.invoiceId);
      if (invoice && (invoice.status === 'void' || invoice.status === 'archived')) {
        await cancelRun(tx, run, `the invoice is ${invoice.status}`);
        return { kind: 'skip', reason: `the invoice is ${invoice.status}` };
      }
    }
    if (token.state === 'running' && token.jobId !== null && token.jobId !== jobId) {
      const [owner] = await tx.query<{ state: string }>(
        'SELECT state FROM jobs WHERE tenant_id = $1 AND id = $2',
        [tenantId, token.jobId],
      );
      if (owner?.state === 'running')
        throw new SnoozeJobError('another job is executing this node', BUSY_RETRY_MS);
    }
    const claimed = await updateToken(tx, tenantId, token.id, {
      state: 'running',
      jobId,
      attempts: token.attempts + 1,
      started: true,
    });
    const { graph } = await definitionOf(tx, tenantId, run.definitionId);
    return { kind: 'run', run, token: claimed, graph };
  });
}

async function applyOutcome(
  deps: EngineDeps,
  claim: Extract<Claim, { kind: 'run' }>,
  jobId: string,
  outcome: Outcome,
): Promise<unknown> {
  try {
    return await record(deps, claim, jobId, outcome);
  } catch (error) {
    // A step whose change the invoice refuses (a status it cannot take) fails visibly instead.
    if (outcome.kind === 'fail' || error instanceof SnoozeJobError || !isRefusal(error)) throw error;
    return record(deps, claim, jobId, { kind: 'fail', error: (error as Error).message });
  }
}

async function record(
  deps: EngineDeps,
  claim: Extract<Claim, { kind: 'run' }>,
  jobId: string,
  outcome: Outcome,
): Promise<unknown> {
  const { graph } = claim;
  const { tenantId } = claim.token;
  const snoozeMs = await deps.db.transaction(async (tx) => {
    if (claim.run.invoiceId !== null) {
      await tx.query('SELECT 1 FROM invoices WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [
        tenantId,
        claim.run.invoiceId,
      ]);
    }
    const run = await getRun(tx, tenantId, claim.run.id, true);
    const token = await getToken(tx, tenantId, claim.token.id, true);
    // Cancelled, or taken over by another job after ours was presumed dead: ours is stale.
    if (!run || !token || run.status === 'cancelled' || token.state !== 'running' || token.jobId !== jobId) {
      return undefined;
    }
    const result = { ...token.result, ...('result' in outcome ? outcome.result : undefined) };
    if (outcome.kind === 'done') {
      await outcome.commit?.(tx);
      const followed = await follow(tx, run, graph, token, outcome.follow);
      await updateToken(tx, tenantId, token.id, {
        state: 'done',
        result,
        followed,
        error: null,
        waitingFor: null,
        jobId: null,
      });
      await note(tx, run, outcome.timeline);
    } else if (outcome.kind === 'wait') {
      const followed = await follow(tx, run, graph, token, outcome.follow ?? []);
      await updateToken(tx, tenantId, token.id, {
        state: 'waiting',
        waitingFor: outcome.waitingFor,
        dueAt: outcome.dueAt ?? null,
        result,
        followed,
        error: null,
        jobId: null,
      });
      await note(tx, run, outcome.timeline);
    } else {
      const handled = hasEdge(graph, token.nodeId, 'on_failure');
      const followed = handled ? await follow(tx, run, graph, token, ['on_failure']) : [...token.followed];
      await updateToken(tx, tenantId, token.id, {
        state: 'failed',
        error: outcome.error,
        failureHandled: handled,
        followed,
        waitingFor: null,
        jobId: null,
      });
      const node = nodeOf(graph, token.nodeId);
      await note(tx, run, {
        kind: 'workflow.step_failed',
        message: `Workflow step "${node.label ?? node.id}" failed: ${outcome.error}`,
        data: { run_id: run.id, node_id: node.id, error: outcome.error },
      });
    }
    await settleRun(tx, tenantId, run.id);
    if (outcome.kind !== 'wait') return undefined;
    // Woken while executing (the token row is locked now, so no wake can slip in after this check).
    if (token.wakes !== claim.token.wakes) return 0;
    const untilDue = outcome.dueAt ? Math.max(0, outcome.dueAt.getTime() - Date.now()) : undefined;
    const candidates = [untilDue, outcome.recheckMs].filter((ms): ms is number => ms !== undefined);
    return candidates.length > 0 ? Math.min(...candidates) : undefined;
  });
  // The job itself is the timer of a wait with a deadline or a fallback look: it comes back then,
  // holding no worker meanwhile (a snooze spends no attempt). Wakes arrive as jobs of their own.
  if (snoozeMs !== undefined) throw new SnoozeJobError(`waiting (${outcome.kind})`, snoozeMs);
  return { outcome: outcome.kind };
}

async function note(tx: Queryable, run: WorkflowRun, timeline: TimelineNote | undefined): Promise<void> {
  if (!timeline || run.invoiceId === null) return;
  await appendInvoiceEvent(tx, {
    tenantId: run.tenantId,
    invoiceId: run.invoiceId,
    actor: ACTOR,
    system: 'ledgerbridge',
    kind: timeline.kind,
    message: timeline.message,
    ...(timeline.data !== undefined && { data: timeline.data }),
  });
}

function isRefusal(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'IllegalTransitionError' || name === 'AppError';
}
