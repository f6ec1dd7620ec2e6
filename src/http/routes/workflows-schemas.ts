import { z } from 'zod';
import { EDGE_KINDS, workflowNodeSchema } from '../../domain/workflows/index.js';
import {
  WORKFLOW_STATUSES,
  type Workflow,
  type WorkflowBinding,
  type WorkflowDefinition,
} from '../../store/repositories/workflows.js';
import type { WorkflowWithDefinition } from '../../workflows/definitions.js';
import { iso, isoTimestamp, listQuery } from '../schemas/common.js';

export const formType = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be a lowercase slug such as "invoice"')
  .describe('The invoice form type the workflow runs for, e.g. "invoice"');

/**
 * The graph travels as free JSON and is checked by the domain validator, not by this schema: that
 * is what lets a 400 name every node and its problem (docs/api.md, "Workflows", documents the shape).
 */
const graphInput = z
  .looseObject({ nodes: z.array(z.unknown()), edges: z.array(z.unknown()) })
  .describe('{"nodes": [...], "edges": [{"from", "to", "kind"}]} — see docs/api.md, Workflows');

export const createWorkflowBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    form_type: formType.default('invoice'),
    graph: graphInput,
    bind: z.boolean().default(false).describe('Also make it the workflow its form type runs'),
  })
  .strict();

export const saveVersionBody = z
  .object({ graph: graphInput, name: z.string().trim().min(1).max(200).optional() })
  .strict();

export const patchWorkflowBody = z
  .object({ name: z.string().trim().min(1).max(200), status: z.enum(WORKFLOW_STATUSES) })
  .partial()
  .strict();

export const workflowListQuery = listQuery.extend({
  form_type: formType.optional(),
  status: z.enum(WORKFLOW_STATUSES).optional(),
});

const graphSchema = z
  .object({
    nodes: z.array(workflowNodeSchema),
    edges: z.array(z.object({ from: z.string(), to: z.string(), kind: z.enum(EDGE_KINDS) })),
  })
  .meta({ id: 'WorkflowGraph' });

const versionFields = {
  id: z.string().describe('The version’s id; a run records the one it started on'),
  object: z.literal('workflow_version'),
  workflow_id: z.string(),
  version: z.number().int(),
  name: z.string(),
  form_type: z.string(),
  created_by: z.string(),
  created_at: isoTimestamp,
};

export const versionSummarySchema = z.object(versionFields).meta({ id: 'WorkflowVersionSummary' });
export const versionSchema = z
  .object({ ...versionFields, graph: graphSchema })
  .meta({ id: 'WorkflowVersion' });

export const workflowSchema = z
  .object({
    id: z.string(),
    object: z.literal('workflow'),
    name: z.string(),
    form_type: z.string(),
    origin: z
      .enum(['default', 'custom'])
      .describe('"default": the built-in template the tenant started with'),
    status: z.enum(WORKFLOW_STATUSES),
    bound: z.boolean().describe('Whether new runs of its form type start on this workflow'),
    version: z.number().int().describe('The latest version, which new runs start on'),
    current: versionSchema,
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .meta({ id: 'Workflow' });

export const workflowSummarySchema = workflowSchema.omit({ current: true }).meta({ id: 'WorkflowSummary' });

export const bindingSchema = z
  .object({
    object: z.literal('workflow_binding'),
    form_type: z.string(),
    workflow_id: z.string(),
    workflow_name: z.string(),
    version: z.number().int(),
    version_id: z.string(),
    bound_by: z.string(),
    bound_at: isoTimestamp,
  })
  .meta({ id: 'WorkflowBinding' });

export function versionSummaryJson(definition: WorkflowDefinition): z.infer<typeof versionSummarySchema> {
  return {
    id: definition.id,
    object: 'workflow_version',
    workflow_id: definition.workflowId,
    version: definition.version,
    name: definition.name,
    form_type: definition.formType,
    created_by: definition.createdBy,
    created_at: iso(definition.createdAt),
  };
}

export function versionJson(definition: WorkflowDefinition): z.infer<typeof versionSchema> {
  return { ...versionSummaryJson(definition), graph: definition.graph as z.infer<typeof graphSchema> };
}

function headJson(workflow: Workflow, bound: boolean) {
  return {
    id: workflow.id,
    object: 'workflow' as const,
    name: workflow.name,
    form_type: workflow.formType,
    origin: workflow.origin,
    status: workflow.status,
    bound,
    version: workflow.latestVersion,
    created_at: iso(workflow.createdAt),
    updated_at: iso(workflow.updatedAt),
  };
}

export function workflowJson({
  workflow,
  definition,
  bound,
}: WorkflowWithDefinition): z.infer<typeof workflowSchema> {
  return { ...headJson(workflow, bound), current: versionJson(definition) };
}

export function workflowSummaryJson(
  workflow: Workflow,
  bound: boolean,
): z.infer<typeof workflowSummarySchema> {
  return headJson(workflow, bound);
}

export function bindingJson(
  binding: WorkflowBinding,
  workflow: Workflow,
  definition: WorkflowDefinition,
): z.infer<typeof bindingSchema> {
  return {
    object: 'workflow_binding',
    form_type: binding.formType,
    workflow_id: binding.workflowId,
    workflow_name: workflow.name,
    version: definition.version,
    version_id: definition.id,
    bound_by: binding.boundBy,
    bound_at: iso(binding.boundAt),
  };
}
