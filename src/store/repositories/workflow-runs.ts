import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { lockClause } from './columns.js';

/**
 * The engine's durable runs (migration 0013_workflow_runs.ts); their tokens live in workflow-tokens.ts,
 * join arrivals in workflow-join-arrivals.ts. Every query is scoped to a tenant.
 */

export const RUN_STATUSES = ['running', 'completed', 'cancelled', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface WorkflowRun {
  readonly id: string;
  readonly tenantId: string;
  readonly invoiceId: string | null;
  readonly contactId: string;
  readonly definitionId: string;
  readonly status: RunStatus;
  readonly cancelReason: string | null;
  readonly startedAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}

function runFromRow(row: Row): WorkflowRun {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    invoiceId: (row.invoice_id as string | null) ?? null,
    contactId: String(row.contact_id),
    definitionId: String(row.workflow_definition_id),
    status: row.status as RunStatus,
    cancelReason: (row.cancel_reason as string | null) ?? null,
    startedAt: row.started_at as Date,
    updatedAt: row.updated_at as Date,
    finishedAt: (row.finished_at as Date | null) ?? null,
  };
}

/**
 * The tenant's one run matching `where` (which binds `value` as $2), optionally locked. The tenant
 * condition is written here, not by the callers, so no getter can leave it out.
 */
async function findRun(
  db: Queryable,
  tenantId: string,
  where: string,
  value: string,
  forUpdate = false,
): Promise<WorkflowRun | undefined> {
  const [row] = await db.query(
    `SELECT * FROM workflow_runs WHERE tenant_id = $1 AND ${where}${lockClause(forUpdate ? 'update' : undefined)}`,
    [tenantId, value],
  );
  return row ? runFromRow(row) : undefined;
}

/** A new run, or undefined when the invoice (or contact) already has one. */
export async function insertRun(
  tx: Queryable,
  input: { tenantId: string; invoiceId: string | null; contactId: string; definitionId: string },
): Promise<WorkflowRun | undefined> {
  const [row] = await tx.query(
    `INSERT INTO workflow_runs (tenant_id, id, invoice_id, contact_id, workflow_definition_id)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING *`,
    [input.tenantId, newId('wfr'), input.invoiceId, input.contactId, input.definitionId],
  );
  return row ? runFromRow(row) : undefined;
}

export async function getRun(
  db: Queryable,
  tenantId: string,
  id: string,
  forUpdate = false,
): Promise<WorkflowRun | undefined> {
  return findRun(db, tenantId, 'id = $2', id, forUpdate);
}

export async function getInvoiceRun(
  db: Queryable,
  tenantId: string,
  invoiceId: string,
  forUpdate = false,
): Promise<WorkflowRun | undefined> {
  return findRun(db, tenantId, 'invoice_id = $2', invoiceId, forUpdate);
}

/** The contact's own run: runs of the contact's invoices also carry its id, so those are excluded. */
export async function getContactRun(
  db: Queryable,
  tenantId: string,
  contactId: string,
): Promise<WorkflowRun | undefined> {
  return findRun(db, tenantId, 'contact_id = $2 AND invoice_id IS NULL', contactId);
}

export async function setRunStatus(
  tx: Queryable,
  tenantId: string,
  id: string,
  status: RunStatus,
  cancelReason: string | null = null,
): Promise<void> {
  await tx.query(
    `UPDATE workflow_runs SET status = $3, cancel_reason = $4, updated_at = now(),
       finished_at = CASE WHEN $3 = 'running' THEN NULL ELSE COALESCE(finished_at, now()) END
     WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, status, cancelReason],
  );
}
