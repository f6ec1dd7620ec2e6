import { defaultWorkflowFor } from '../domain/workflows/index.js';
import type { Queryable } from '../store/db.js';
import {
  hasDefaultWorkflow,
  insertDefinition,
  insertWorkflow,
  updateWorkflow,
  upsertBinding,
} from '../store/repositories/workflows.js';

/** Form types that come with a built-in workflow. */
export const FORM_TYPES_WITH_DEFAULTS = ['invoice'] as const;

/** Who saved the built-in templates, in `created_by` and `bound_by`. */
export const SYSTEM_ACTOR = 'system';

/**
 * Gives the tenant its built-in workflows the first time anything looks at its workflows, rather
 * than at tenant creation: tenants that existed before workflows get them too, and access/ knows
 * nothing about workflows. Each default is provisioned at most once per tenant (a unique index), so
 * concurrent first looks agree, and a default the tenant archived or unbound is not brought back.
 * The default is bound only if the tenant has not bound a workflow of its own to that form type.
 *
 * Runs inside the caller's transaction; costs one indexed SELECT once provisioned.
 */
export async function ensureDefaultWorkflows(tx: Queryable, tenantId: string): Promise<void> {
  for (const formType of FORM_TYPES_WITH_DEFAULTS) {
    if (await hasDefaultWorkflow(tx, tenantId, formType)) continue;
    const template = defaultWorkflowFor(formType);
    if (!template) continue;
    const workflow = await insertWorkflow(tx, tenantId, { formType, name: template.name, origin: 'default' });
    if (!workflow) continue; // provisioned by a concurrent transaction that committed first
    await insertDefinition(tx, {
      tenantId,
      workflowId: workflow.id,
      formType,
      name: template.name,
      version: 1,
      graph: template.graph,
      createdBy: SYSTEM_ACTOR,
    });
    await updateWorkflow(tx, { ...workflow, latestVersion: 1 });
    await upsertBinding(tx, { tenantId, formType, workflowId: workflow.id, boundBy: SYSTEM_ACTOR }, true);
  }
}
