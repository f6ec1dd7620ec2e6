import { QBO_SYNC_INVOICE_JOB, QBO_SYNC_PAYMENT_JOB } from '../../integrations/quickbooks/sync/enqueue.js';
import { STRIPE_PUSH_INVOICE_JOB } from '../../integrations/stripe/sync/enqueue.js';
import type { JobHandler, JobLogger } from '../../jobs/handler.js';
import type { Job } from '../../jobs/job.js';
import type { Db } from '../../store/db.js';
import { getInvoiceRun } from '../../store/repositories/workflow-runs.js';
import { REVIEW_REQUEST_JOB, reviewRequestHandler } from './review-request.js';
import { WORKFLOW_NODE_JOB, wakeTokens } from './tokens.js';
import type { EngineDeps, WaitReason } from './types.js';
import { workflowNodeHandler } from './runner.js';

/** The engine's job handlers; every worker process registers them. */
export function workflowJobHandlers(deps: EngineDeps): Record<string, JobHandler> {
  return {
    [WORKFLOW_NODE_JOB]: workflowNodeHandler(deps),
    [REVIEW_REQUEST_JOB]: reviewRequestHandler(deps),
  };
}

/** The integration jobs workflow steps wait for, and what their end wakes. */
const WAKES: Readonly<Record<string, WaitReason>> = {
  [STRIPE_PUSH_INVOICE_JOB]: 'payment_link',
  [QBO_SYNC_INVOICE_JOB]: 'quickbooks_sync',
  [QBO_SYNC_PAYMENT_JOB]: 'quickbooks_sync',
};

/**
 * Wraps the integrations' handlers so that when a Stripe invoice push or a QuickBooks invoice or
 * payment push ends (either way), the workflow steps waiting for it look again at once. The wake is
 * a hint, never the only way: those steps also look again on their own after a while, so a wake
 * lost to a crash between the job's end and this call only delays them.
 */
export function withWorkflowWakes(
  db: Db,
  handlers: Record<string, JobHandler>,
  logger?: JobLogger,
): Record<string, JobHandler> {
  const wrapped: Record<string, JobHandler> = { ...handlers };
  for (const [type, reason] of Object.entries(WAKES)) {
    const handler = handlers[type];
    if (!handler) continue;
    wrapped[type] = async (job, context) => {
      try {
        return await handler(job, context);
      } finally {
        await wakeFor(db, job, reason).catch((error: unknown) =>
          logger?.warn({ err: error, jobId: job.id }, 'could not wake the workflow steps waiting for a job'),
        );
      }
    };
  }
  return wrapped;
}

async function wakeFor(db: Db, job: Job, reason: WaitReason): Promise<void> {
  const tenantId = job.tenantId;
  const payload = (job.payload ?? {}) as Record<string, unknown>;
  if (tenantId === null) return;
  let invoiceId = typeof payload.invoice_id === 'string' ? payload.invoice_id : undefined;
  if (invoiceId === undefined && typeof payload.payment_id === 'string') {
    const [row] = await db.query<{ invoice_id: string | null }>(
      'SELECT invoice_id FROM payments WHERE tenant_id = $1 AND id = $2',
      [tenantId, payload.payment_id],
    );
    invoiceId = row?.invoice_id ?? undefined;
  }
  if (invoiceId === undefined) return;
  const known = invoiceId;
  await db.transaction(async (tx) => {
    const run = await getInvoiceRun(tx, tenantId, known, true);
    if (run?.status === 'running') await wakeTokens(tx, tenantId, run.id, [reason]);
  });
}
