import type { Queryable } from '../../store/db.js';
import { getInvoiceRun, setRunStatus, type WorkflowRun } from '../../store/repositories/workflow-runs.js';
import { cancelOpenTokens } from '../../store/repositories/workflow-tokens.js';

/**
 * Ends a run: every open token is cancelled (its jobs, queued or snoozed, find it so and do
 * nothing) and the run says why. Called in the transaction that voids or archives the invoice.
 */
export async function cancelRun(tx: Queryable, run: WorkflowRun, reason: string): Promise<void> {
  if (run.status === 'cancelled') return;
  await cancelOpenTokens(tx, run.tenantId, run.id);
  await setRunStatus(tx, run.tenantId, run.id, 'cancelled', reason);
}

export async function cancelInvoiceRun(
  tx: Queryable,
  tenantId: string,
  invoiceId: string,
  reason: string,
): Promise<void> {
  const run = await getInvoiceRun(tx, tenantId, invoiceId, true);
  if (run) await cancelRun(tx, run, reason);
}
