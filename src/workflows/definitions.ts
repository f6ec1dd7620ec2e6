import { describeProblem, validateWorkflowGraph, type WorkflowGraph } from '../domain/workflows/index.js';
import { AppError, notFound } from '../http/errors.js';
import type { Queryable } from '../store/db.js';
import {
  definitionHasGraph,
  deleteBinding,
  getBinding,
  getDefinitionByVersion,
  getWorkflow,
  insertDefinition,
  insertWorkflow,
  updateWorkflow,
  upsertBinding,
  type Workflow,
  type WorkflowBinding,
  type WorkflowDefinition,
} from '../store/repositories/workflows.js';
import { ensureDefaultWorkflows } from './defaults.js';

/** Who is changing workflows: the tenant comes from the principal, never from the request body. */
export interface WorkflowActor {
  readonly tenantId: string;
  readonly actor: string;
}

export interface WorkflowWithDefinition {
  readonly workflow: Workflow;
  readonly definition: WorkflowDefinition;
  readonly bound: boolean;
}

/** The graph as it will be stored, or a 400 whose details list every `{node, problem}`. */
export function checkedGraph(input: unknown): WorkflowGraph {
  const result = validateWorkflowGraph(input);
  if (result.ok) return result.graph;
  const first = result.problems[0];
  const more = result.problems.length > 1 ? ` (and ${result.problems.length - 1} more problems)` : '';
  throw new AppError(
    'validation',
    'invalid_workflow',
    `graph: ${first ? describeProblem(first) : 'is invalid'}${more}`,
    result.problems,
  );
}

/** Creates a workflow with its first version; `bind` makes it the one its form type runs. */
export async function createWorkflow(
  tx: Queryable,
  who: WorkflowActor,
  input: { formType: string; name: string; graph: unknown; bind: boolean },
): Promise<WorkflowWithDefinition> {
  const graph = checkedGraph(input.graph);
  // The default comes first, so a workflow created before anyone listed workflows is not then
  // displaced by the default on the first read.
  await ensureDefaultWorkflows(tx, who.tenantId);
  const head = await insertWorkflow(tx, who.tenantId, {
    formType: input.formType,
    name: input.name,
    origin: 'custom',
  });
  if (!head) throw new Error('inserting a custom workflow cannot conflict');
  const definition = await insertDefinition(tx, {
    tenantId: who.tenantId,
    workflowId: head.id,
    formType: head.formType,
    name: head.name,
    version: 1,
    graph,
    createdBy: who.actor,
  });
  const workflow = await updateWorkflow(tx, { ...head, latestVersion: 1 });
  if (input.bind) await bind(tx, who, workflow);
  return { workflow, definition, bound: input.bind || (await isBound(tx, workflow)) };
}

/**
 * Saves a new version of the graph (and name). Saving exactly the current graph and name again
 * creates nothing and answers the current version, so a retried save does not add versions.
 * Runs already going keep the definition they started with.
 */
export async function saveWorkflowVersion(
  tx: Queryable,
  who: WorkflowActor,
  id: string,
  input: { graph: unknown; name?: string | undefined },
): Promise<WorkflowWithDefinition & { created: boolean }> {
  const graph = checkedGraph(input.graph);
  const current = await lockedWorkflow(tx, who, id);
  if (current.status === 'archived') {
    throw new AppError(
      'conflict',
      'workflow_archived',
      `Workflow '${id}' is archived; unarchive it to change it`,
    );
  }
  const name = input.name ?? current.name;
  const latest = await latestDefinition(tx, current);
  if (name === latest.name && (await definitionHasGraph(tx, who.tenantId, latest.id, graph))) {
    return { workflow: current, definition: latest, bound: await isBound(tx, current), created: false };
  }
  const version = current.latestVersion + 1;
  const definition = await insertDefinition(tx, {
    tenantId: who.tenantId,
    workflowId: id,
    formType: current.formType,
    name,
    version,
    graph,
    createdBy: who.actor,
  });
  const workflow = await updateWorkflow(tx, { ...current, name, latestVersion: version });
  return { workflow, definition, bound: await isBound(tx, workflow), created: true };
}

/** Renames (without a new version), archives or unarchives. A bound workflow cannot be archived. */
export async function patchWorkflow(
  tx: Queryable,
  who: WorkflowActor,
  id: string,
  patch: { name?: string | undefined; status?: Workflow['status'] | undefined },
): Promise<WorkflowWithDefinition> {
  const current = await lockedWorkflow(tx, who, id);
  const bound = await isBound(tx, current);
  if (patch.status === 'archived' && bound) {
    throw new AppError(
      'conflict',
      'workflow_bound',
      `Workflow '${id}' runs the ${current.formType} form type; bind another workflow or unbind it before archiving`,
    );
  }
  const workflow = await updateWorkflow(tx, {
    ...current,
    name: patch.name ?? current.name,
    status: patch.status ?? current.status,
  });
  return { workflow, definition: await latestDefinition(tx, workflow), bound };
}

/** Makes the workflow the one new runs of its form type start on (replacing any other). */
export async function bindWorkflow(
  tx: Queryable,
  who: WorkflowActor,
  id: string,
): Promise<WorkflowWithDefinition> {
  const workflow = await lockedWorkflow(tx, who, id);
  await ensureDefaultWorkflows(tx, who.tenantId);
  await bind(tx, who, workflow);
  return { workflow, definition: await latestDefinition(tx, workflow), bound: true };
}

/** Leaves the form type with no workflow: new invoices of it run none. */
export async function unbindWorkflow(
  tx: Queryable,
  who: WorkflowActor,
  id: string,
): Promise<WorkflowWithDefinition> {
  const workflow = await lockedWorkflow(tx, who, id);
  await ensureDefaultWorkflows(tx, who.tenantId);
  const binding = await getBinding(tx, who.tenantId, workflow.formType, 'update');
  if (binding?.workflowId !== id) {
    throw new AppError(
      'conflict',
      'workflow_not_bound',
      `Workflow '${id}' is not bound to ${workflow.formType}`,
    );
  }
  await deleteBinding(tx, who.tenantId, workflow.formType);
  return { workflow, definition: await latestDefinition(tx, workflow), bound: false };
}

/**
 * The definition a new run of `formType` starts on: the latest version of the bound workflow, or
 * none when nothing is bound. The caller records the definition's id on the run.
 */
export async function resolveWorkflowForFormType(
  tx: Queryable,
  tenantId: string,
  formType: string,
): Promise<WorkflowDefinition | undefined> {
  await ensureDefaultWorkflows(tx, tenantId);
  const binding = await getBinding(tx, tenantId, formType);
  if (!binding) return undefined;
  const workflow = await getWorkflow(tx, tenantId, binding.workflowId);
  return workflow ? latestDefinition(tx, workflow) : undefined;
}

export async function isBound(db: Queryable, workflow: Workflow): Promise<boolean> {
  const binding: WorkflowBinding | undefined = await getBinding(db, workflow.tenantId, workflow.formType);
  return binding?.workflowId === workflow.id;
}

export async function latestDefinition(db: Queryable, workflow: Workflow): Promise<WorkflowDefinition> {
  const definition = await getDefinitionByVersion(db, workflow.tenantId, workflow.id, workflow.latestVersion);
  if (!definition) throw new Error(`workflow ${workflow.id} has no version ${workflow.latestVersion}`);
  return definition;
}

async function lockedWorkflow(tx: Queryable, who: WorkflowActor, id: string): Promise<Workflow> {
  const workflow = await getWorkflow(tx, who.tenantId, id, 'update');
  if (!workflow) throw notFound('workflow', id);
  return workflow;
}

async function bind(tx: Queryable, who: WorkflowActor, workflow: Workflow): Promise<void> {
  if (workflow.status === 'archived') {
    throw new AppError(
      'conflict',
      'workflow_archived',
      `Workflow '${workflow.id}' is archived; unarchive it to bind it`,
    );
  }
  await upsertBinding(tx, {
    tenantId: who.tenantId,
    formType: workflow.formType,
    workflowId: workflow.id,
    boundBy: who.actor,
  });
}
