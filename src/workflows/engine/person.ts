import { type Actor, lockInvoice } from '../../billing/invoices.js';
import type { SettableStatus } from '../../domain/workflows/index.js';
import { AppError, invalidField, notFound } from '../../http/errors.js';
import type { WorkflowNode } from '../../domain/workflows/index.js';
import type { Db, Queryable } from '../../store/db.js';
import { appendInvoiceEvent } from '../../store/repositories/timeline.js';
import { getInvoiceRun, type WorkflowRun } from '../../store/repositories/workflow-runs.js';
import { tokensAtNode, updateToken, type WorkflowToken } from '../../store/repositories/workflow-tokens.js';
import { definitionOf, nodeOf } from './graph.js';
import { reviveDeadJobs } from './nodes/awaited-jobs.js';
import { collectPaymentJobKeys } from './nodes/collect-payment.js';
import { syncQuickbooksJobKeys } from './nodes/sync-quickbooks.js';
import { applyStatus, type PaymentDetails } from './nodes/status-update.js';
import { follow, scheduleToken, settleRun } from './tokens.js';

/**
 * What people do to a run through the API: answer a manual status update, retry a failed step.
 * Both lock invoice → run → token, the engine's one lock order.
 */

async function lockedRun(tx: Queryable, who: Actor, invoiceId: string): Promise<WorkflowRun> {
  await lockInvoice(tx, who.tenantId, invoiceId);
  const run = await getInvoiceRun(tx, who.tenantId, invoiceId, true);
  if (!run) throw new AppError('not_found', 'no_workflow_run', `Invoice '${invoiceId}' has no workflow run`);
  if (run.status === 'cancelled') {
    throw new AppError(
      'conflict',
      'workflow_run_cancelled',
      `The workflow run was cancelled: ${run.cancelReason ?? ''}`,
    );
  }
  return run;
}

async function tokenAt(
  tx: Queryable,
  run: WorkflowRun,
  nodeId: string,
  state: WorkflowToken['state'],
): Promise<WorkflowToken> {
  const tokens = await tokensAtNode(tx, run.tenantId, run.id, nodeId, true);
  const token = tokens.find((candidate) => candidate.state === state);
  if (token) return token;
  const latest = tokens[0];
  throw new AppError(
    'conflict',
    `node_not_${state}`,
    latest
      ? `Node '${nodeId}' is ${latest.state}, not ${state}`
      : `The run has not reached node '${nodeId}' yet`,
    { node_id: nodeId, state: latest?.state ?? 'not_reached' },
  );
}

/**
 * A person chose the status a waiting manual status update asks for: the invoice takes it (paid
 * records a manual payment of the balance — the check that arrived) and the run follows `next`, in
 * one transaction.
 */
export async function completeStatusUpdate(
  db: Db,
  who: Actor,
  invoiceId: string,
  nodeId: string,
  choice: { status: SettableStatus; payment?: PaymentDetails },
): Promise<void> {
  await db.transaction(async (tx) => {
    const run = await lockedRun(tx, who, invoiceId);
    const { graph } = await definitionOf(tx, who.tenantId, run.definitionId);
    const node = graph.nodes.find((candidate) => candidate.id === nodeId);
    if (!node) throw notFound('workflow node', nodeId);
    if (node.type !== 'status_update' || node.mode !== 'manual') {
      throw new AppError(
        'conflict',
        'not_a_manual_step',
        `Node '${nodeId}' is not a manual status update; only those wait for a person`,
      );
    }
    const allowed: readonly string[] = node.allowed_statuses ?? [];
    if (!allowed.includes(choice.status)) {
      throw invalidField('status', `must be one of ${allowed.join(', ')} for node '${nodeId}'`);
    }
    const token = await tokenAt(tx, run, nodeId, 'waiting');
    const followed = await follow(tx, run, graph, token, ['next']);
    await updateToken(tx, who.tenantId, token.id, {
      state: 'done',
      followed,
      waitingFor: null,
      jobId: null,
      result: { ...token.result, status: choice.status, chosen_by: who.actor },
    });
    await applyStatus(tx, who, invoiceId, choice.status, choice.payment);
    await settleRun(tx, who.tenantId, run.id);
  });
}

/**
 * Runs a failed step again (its side effects are keyed, so what it already did is not redone). A
 * Stripe or QuickBooks job the step waits for that was dead-lettered gets a fresh start with it, in
 * the same transaction: retrying the step is retrying what it waits for.
 */
export async function retryNode(db: Db, who: Actor, invoiceId: string, nodeId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const run = await lockedRun(tx, who, invoiceId);
    const token = await tokenAt(tx, run, nodeId, 'failed');
    const { graph } = await definitionOf(tx, who.tenantId, run.definitionId);
    const node = nodeOf(graph, nodeId);
    const revived = await reviveDeadJobs(
      tx,
      who.tenantId,
      await awaitedJobKeys(tx, node, who.tenantId, invoiceId),
    );
    await appendInvoiceEvent(tx, {
      tenantId: who.tenantId,
      invoiceId,
      actor: who.actor,
      system: 'ledgerbridge',
      kind: 'workflow.step_retried',
      message: `Workflow step "${node.label ?? node.id}" was retried`,
      data: { run_id: run.id, node_id: node.id, previous_error: token.error, revived_jobs: revived },
    });
    const retried = await updateToken(tx, who.tenantId, token.id, {
      state: 'pending',
      error: null,
      failureHandled: false,
      attempts: 0,
      retries: token.retries + 1,
      jobId: null,
    });
    await scheduleToken(tx, retried, `retry:${retried.retries}`);
    await settleRun(tx, who.tenantId, run.id);
  });
}

/** The integration jobs a step of this type waits for on the invoice, by dedupe key. */
async function awaitedJobKeys(
  tx: Queryable,
  node: WorkflowNode,
  tenantId: string,
  invoiceId: string,
): Promise<string[]> {
  if (node.type === 'collect_payment') return collectPaymentJobKeys(invoiceId);
  if (node.type === 'sync_quickbooks') return syncQuickbooksJobKeys(tx, tenantId, invoiceId);
  return [];
}
