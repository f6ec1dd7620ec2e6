import type { WorkflowGraph } from '../../domain/workflows/index.js';
import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { listPage, type Page } from '../list.js';
import { lockClause, type RowLock } from './columns.js';
import { required } from './contacts.js';

export const WORKFLOW_STATUSES = ['active', 'archived'] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];
export type WorkflowOrigin = 'default' | 'custom';

/** The mutable head of a workflow: its name, status and how many definitions it has. */
export interface Workflow {
  readonly id: string;
  readonly tenantId: string;
  readonly formType: string;
  readonly name: string;
  readonly origin: WorkflowOrigin;
  readonly status: WorkflowStatus;
  readonly latestVersion: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One saved version of a workflow's graph. Never changed or deleted once written. */
export interface WorkflowDefinition {
  readonly id: string;
  readonly tenantId: string;
  readonly workflowId: string;
  readonly formType: string;
  readonly name: string;
  readonly version: number;
  readonly graph: WorkflowGraph;
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface WorkflowBinding {
  readonly tenantId: string;
  readonly formType: string;
  readonly workflowId: string;
  readonly boundBy: string;
  readonly boundAt: Date;
}

function workflowFromRow(row: Row): Workflow {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    formType: String(row.form_type),
    name: String(row.name),
    origin: row.origin as WorkflowOrigin,
    status: row.status as WorkflowStatus,
    latestVersion: Number(row.latest_version),
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

function definitionFromRow(row: Row): WorkflowDefinition {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    workflowId: String(row.workflow_id),
    formType: String(row.form_type),
    name: String(row.name),
    version: Number(row.version),
    // Both drivers parse jsonb; the graph was validated before it was stored.
    graph: row.graph as WorkflowGraph,
    createdBy: String(row.created_by),
    createdAt: row.created_at as Date,
  };
}

function bindingFromRow(row: Row): WorkflowBinding {
  return {
    tenantId: String(row.tenant_id),
    formType: String(row.form_type),
    workflowId: String(row.workflow_id),
    boundBy: String(row.bound_by),
    boundAt: row.bound_at as Date,
  };
}

/**
 * Inserts a workflow head with no definition yet. For origin 'default' it returns undefined when
 * the tenant already has its default for this form type (provisioned once, even if archived since).
 */
export async function insertWorkflow(
  db: Queryable,
  tenantId: string,
  input: { formType: string; name: string; origin: WorkflowOrigin },
): Promise<Workflow | undefined> {
  const conflict =
    input.origin === 'default'
      ? `ON CONFLICT (tenant_id, form_type) WHERE origin = 'default' DO NOTHING`
      : '';
  const [row] = await db.query(
    `INSERT INTO workflows (tenant_id, id, form_type, name, origin) VALUES ($1, $2, $3, $4, $5)
     ${conflict} RETURNING *`,
    [tenantId, newId('wfl'), input.formType, input.name, input.origin],
  );
  return row ? workflowFromRow(row) : undefined;
}

export async function hasDefaultWorkflow(
  db: Queryable,
  tenantId: string,
  formType: string,
): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM workflows WHERE tenant_id = $1 AND form_type = $2 AND origin = 'default'`,
    [tenantId, formType],
  );
  return rows.length > 0;
}

export async function getWorkflow(
  db: Queryable,
  tenantId: string,
  id: string,
  lock?: RowLock,
): Promise<Workflow | undefined> {
  const [row] = await db.query(
    `SELECT * FROM workflows WHERE tenant_id = $1 AND id = $2${lockClause(lock)}`,
    [tenantId, id],
  );
  return row ? workflowFromRow(row) : undefined;
}

/** Writes the mutable fields of `workflow` (read FOR UPDATE by the caller). */
export async function updateWorkflow(db: Queryable, workflow: Workflow): Promise<Workflow> {
  const [row] = await db.query(
    `UPDATE workflows SET name = $3, status = $4, latest_version = $5, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 RETURNING *`,
    [workflow.tenantId, workflow.id, workflow.name, workflow.status, workflow.latestVersion],
  );
  return workflowFromRow(required(row));
}

export function listWorkflows(
  db: Queryable,
  tenantId: string,
  filter: {
    formType?: string | undefined;
    status?: WorkflowStatus | undefined;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<Page<Workflow>> {
  return listPage(
    db,
    {
      table: 'workflows',
      tenantId,
      equals: { form_type: filter.formType, status: filter.status },
      cursor: filter.cursor,
      limit: filter.limit,
    },
    workflowFromRow,
  );
}

export async function insertDefinition(
  db: Queryable,
  input: Omit<WorkflowDefinition, 'id' | 'createdAt'>,
): Promise<WorkflowDefinition> {
  const [row] = await db.query(
    `INSERT INTO workflow_definitions (tenant_id, id, workflow_id, form_type, name, version, graph, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) RETURNING *`,
    [
      input.tenantId,
      newId('wfv'),
      input.workflowId,
      input.formType,
      input.name,
      input.version,
      JSON.stringify(input.graph),
      input.createdBy,
    ],
  );
  return definitionFromRow(required(row));
}

export async function getDefinition(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<WorkflowDefinition | undefined> {
  const [row] = await db.query('SELECT * FROM workflow_definitions WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    id,
  ]);
  return row ? definitionFromRow(row) : undefined;
}

export async function getDefinitionByVersion(
  db: Queryable,
  tenantId: string,
  workflowId: string,
  version: number,
): Promise<WorkflowDefinition | undefined> {
  const [row] = await db.query(
    'SELECT * FROM workflow_definitions WHERE tenant_id = $1 AND workflow_id = $2 AND version = $3',
    [tenantId, workflowId, version],
  );
  return row ? definitionFromRow(row) : undefined;
}

/** Whether `graph` is, as JSON, exactly the graph of that definition (jsonb compares by value). */
export async function definitionHasGraph(
  db: Queryable,
  tenantId: string,
  id: string,
  graph: WorkflowGraph,
): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM workflow_definitions WHERE tenant_id = $1 AND id = $2 AND graph = $3::jsonb',
    [tenantId, id, JSON.stringify(graph)],
  );
  return rows.length > 0;
}

/** A workflow's versions, newest first. */
export function listDefinitions(
  db: Queryable,
  tenantId: string,
  workflowId: string,
  page: { cursor?: string | undefined; limit: number },
): Promise<Page<WorkflowDefinition>> {
  return listPage(
    db,
    {
      table: 'workflow_definitions',
      tenantId,
      equals: { workflow_id: workflowId },
      cursor: page.cursor,
      limit: page.limit,
    },
    definitionFromRow,
  );
}

export async function getBinding(
  db: Queryable,
  tenantId: string,
  formType: string,
  lock?: RowLock,
): Promise<WorkflowBinding | undefined> {
  const [row] = await db.query(
    `SELECT * FROM workflow_bindings WHERE tenant_id = $1 AND form_type = $2${lockClause(lock)}`,
    [tenantId, formType],
  );
  return row ? bindingFromRow(row) : undefined;
}

export async function listBindings(db: Queryable, tenantId: string): Promise<WorkflowBinding[]> {
  const rows = await db.query('SELECT * FROM workflow_bindings WHERE tenant_id = $1 ORDER BY form_type', [
    tenantId,
  ]);
  return rows.map(bindingFromRow);
}

/** Makes `workflowId` the one workflow new runs of its form type start on. */
export async function upsertBinding(
  db: Queryable,
  input: { tenantId: string; formType: string; workflowId: string; boundBy: string },
  onlyIfUnbound = false,
): Promise<WorkflowBinding | undefined> {
  const [row] = await db.query(
    `INSERT INTO workflow_bindings (tenant_id, form_type, workflow_id, bound_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, form_type) DO ${
       onlyIfUnbound
         ? 'NOTHING'
         : 'UPDATE SET workflow_id = EXCLUDED.workflow_id, bound_by = EXCLUDED.bound_by, bound_at = now()'
     }
     RETURNING *`,
    [input.tenantId, input.formType, input.workflowId, input.boundBy],
  );
  return row ? bindingFromRow(row) : undefined;
}

export async function deleteBinding(db: Queryable, tenantId: string, formType: string): Promise<void> {
  await db.query('DELETE FROM workflow_bindings WHERE tenant_id = $1 AND form_type = $2', [
    tenantId,
    formType,
  ]);
}
