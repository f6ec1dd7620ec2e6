import { z } from 'zod';
import { PAYMENT_METHODS } from '../../domain/index.js';
import { SETTABLE_STATUSES, type WorkflowGraph } from '../../domain/workflows/index.js';
import { RUN_STATUSES, type WorkflowRun } from '../../store/repositories/workflow-runs.js';
import { TOKEN_STATES, type WorkflowToken } from '../../store/repositories/workflow-tokens.js';
import type { WorkflowDefinition } from '../../store/repositories/workflows.js';
import type { AutomationSettings } from '../../workflows/engine/automation-settings.js';
import { iso, isoOrNull, isoTimestamp } from '../schemas/common.js';

const executionSchema = z
  .object({
    id: z.string(),
    node_id: z.string(),
    state: z.enum(TOKEN_STATES),
    cause: z.string().describe('"trigger:<event>", "<previous execution id>:<edge kind>" or "join"'),
    from_node_id: z.string().nullable(),
    edge_kind: z.string().nullable(),
    attempts: z.number().int(),
    error: z.string().nullable(),
    waiting_for: z
      .string()
      .nullable()
      .describe('payment_link, payment, quickbooks_sync, person (a manual status update) or time'),
    due_at: isoTimestamp.nullable().describe('When the wait ends by itself (a wait, a timeout)'),
    followed: z.array(z.string()).describe('Edge kinds followed so far'),
    result: z.record(z.string(), z.unknown()),
    created_at: isoTimestamp,
    started_at: isoTimestamp.nullable(),
    finished_at: isoTimestamp.nullable(),
  })
  .meta({ id: 'WorkflowNodeExecution' });

const nodeStateSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    label: z.string().nullable(),
    state: z.enum([...TOKEN_STATES, 'not_reached']).describe('The state of its latest execution'),
    executions: z.number().int(),
    waiting_for: z.string().nullable(),
    error: z.string().nullable(),
    allowed_statuses: z
      .array(z.string())
      .nullable()
      .describe('A manual status update: what a person may choose'),
  })
  .meta({ id: 'WorkflowNodeState' });

export const runSchema = z
  .object({
    object: z.literal('workflow_run'),
    id: z.string(),
    invoice_id: z.string().nullable(),
    contact_id: z.string(),
    workflow_id: z.string(),
    workflow_version_id: z.string(),
    version: z.number().int(),
    status: z.enum(RUN_STATUSES),
    cancel_reason: z.string().nullable(),
    started_at: isoTimestamp,
    finished_at: isoTimestamp.nullable(),
    nodes: z.array(nodeStateSchema),
    executions: z.array(executionSchema),
  })
  .meta({ id: 'WorkflowRun' });

function executionJson(token: WorkflowToken): z.infer<typeof executionSchema> {
  return {
    id: token.id,
    node_id: token.nodeId,
    state: token.state,
    cause: token.cause,
    from_node_id: token.fromNodeId,
    edge_kind: token.edgeKind,
    attempts: token.attempts,
    error: token.error,
    waiting_for: token.waitingFor,
    due_at: isoOrNull(token.dueAt),
    followed: [...token.followed],
    result: { ...token.result },
    created_at: iso(token.createdAt),
    started_at: isoOrNull(token.startedAt),
    finished_at: isoOrNull(token.finishedAt),
  };
}

export function runJson(
  run: WorkflowRun,
  definition: WorkflowDefinition,
  tokens: readonly WorkflowToken[],
): z.infer<typeof runSchema> {
  const graph: WorkflowGraph = definition.graph;
  return {
    object: 'workflow_run',
    id: run.id,
    invoice_id: run.invoiceId,
    contact_id: run.contactId,
    workflow_id: definition.workflowId,
    workflow_version_id: definition.id,
    version: definition.version,
    status: run.status,
    cancel_reason: run.cancelReason,
    started_at: iso(run.startedAt),
    finished_at: isoOrNull(run.finishedAt),
    nodes: graph.nodes.map((node) => {
      const mine = tokens.filter((token) => token.nodeId === node.id);
      const latest = mine.at(-1);
      return {
        id: node.id,
        type: node.type,
        label: node.label ?? null,
        state: latest?.state ?? 'not_reached',
        executions: mine.length,
        waiting_for: latest?.waitingFor ?? null,
        error: latest?.error ?? null,
        allowed_statuses:
          node.type === 'status_update' && node.mode === 'manual' ? [...(node.allowed_statuses ?? [])] : null,
      };
    }),
    executions: tokens.map(executionJson),
  };
}

export const completeBody = z
  .object({
    status: z.enum(SETTABLE_STATUSES).describe("One of the node's allowed_statuses"),
    payment_method: z
      .enum(PAYMENT_METHODS as [string, ...string[]])
      .optional()
      .describe('For "paid": how the money came (default other), e.g. check'),
    reference: z.string().min(1).max(200).optional().describe('For "paid": e.g. the check number'),
  })
  .strict();

export const nodeParams = z.object({ id: z.string().min(1).max(64), nodeId: z.string().min(1).max(64) });

export const reviewRequestSchema = z
  .object({
    object: z.literal('review_request_automation'),
    enabled: z.boolean(),
    review_url: z.string().nullable(),
    updated_at: isoTimestamp,
  })
  .meta({ id: 'ReviewRequestAutomation' });

export const reviewRequestPatch = z
  .object({
    enabled: z.boolean().optional(),
    review_url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .nullable()
      .optional(),
  })
  .strict();

export function reviewRequestJson(settings: AutomationSettings): z.infer<typeof reviewRequestSchema> {
  return {
    object: 'review_request_automation',
    enabled: settings.reviewRequestEnabled,
    review_url: settings.reviewUrl,
    updated_at: iso(settings.updatedAt),
  };
}
