import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../store/db.js';
import {
  getDefinition,
  getWorkflow,
  listBindings,
  listDefinitions,
  listWorkflows,
} from '../../store/repositories/workflows.js';
import { ensureDefaultWorkflows } from '../../workflows/defaults.js';
import {
  bindWorkflow,
  createWorkflow,
  isBound,
  latestDefinition,
  patchWorkflow,
  saveWorkflowVersion,
  unbindWorkflow,
  type WorkflowActor,
} from '../../workflows/definitions.js';
import { requirePrincipal } from '../auth.js';
import { notFound } from '../errors.js';
import { errorBody, idParam, listQuery, page } from '../schemas/common.js';
import {
  bindingJson,
  bindingSchema,
  createWorkflowBody,
  patchWorkflowBody,
  saveVersionBody,
  versionJson,
  versionSchema,
  versionSummaryJson,
  versionSummarySchema,
  workflowJson,
  workflowListQuery,
  workflowSchema,
  workflowSummaryJson,
  workflowSummarySchema,
} from './workflows-schemas.js';
import { z } from 'zod';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };
const tags = ['workflows'];

/**
 * Workflow definitions: versioned graphs per invoice form type, and which one each form type runs.
 * Reads first give the tenant its built-in default workflows (src/workflows/defaults.ts).
 */
export const workflowRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const actorOf = (principal: { tenantId: string; actor: string }): WorkflowActor => ({
    tenantId: principal.tenantId,
    actor: principal.actor,
  });

  app.get(
    '/workflows',
    {
      schema: {
        tags,
        summary: 'List workflows, newest first',
        description: 'The first call gives a new tenant the built-in workflow of the "invoice" form type.',
        querystring: workflowListQuery,
        response: { 200: page(workflowSummarySchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const q = request.query;
      return db.transaction(async (tx) => {
        await ensureDefaultWorkflows(tx, tenantId);
        const result = await listWorkflows(tx, tenantId, {
          formType: q.form_type,
          status: q.status,
          cursor: q.cursor,
          limit: q.limit,
        });
        const bound = new Set((await listBindings(tx, tenantId)).map((binding) => binding.workflowId));
        return {
          data: result.data.map((workflow) => workflowSummaryJson(workflow, bound.has(workflow.id))),
          next_cursor: result.nextCursor,
        };
      });
    },
  );

  app.post(
    '/workflows',
    {
      schema: {
        tags,
        summary: 'Create a workflow (version 1)',
        description: 'An invalid graph answers 400 `invalid_workflow` with `details: [{node, problem}]`.',
        body: createWorkflowBody,
        response: { 201: workflowSchema, ...errors },
      },
    },
    async (request, reply) => {
      const who = actorOf(requirePrincipal(request, 'write'));
      const b = request.body;
      const created = await db.transaction((tx) =>
        createWorkflow(tx, who, { formType: b.form_type, name: b.name, graph: b.graph, bind: b.bind }),
      );
      return reply.status(201).send(workflowJson(created));
    },
  );

  app.get(
    '/workflows/:id',
    {
      schema: {
        tags,
        summary: 'Get a workflow and its latest version',
        params: idParam,
        response: { 200: workflowSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const workflow = await getWorkflow(db, tenantId, request.params.id);
      if (!workflow) throw notFound('workflow', request.params.id);
      return workflowJson({
        workflow,
        definition: await latestDefinition(db, workflow),
        bound: await isBound(db, workflow),
      });
    },
  );

  app.put(
    '/workflows/:id',
    {
      schema: {
        tags,
        summary: 'Save a new version of the graph',
        description:
          'Creates version n+1; runs already going finish on the version they started with. Saving the ' +
          'current graph and name again creates nothing and answers the current version.',
        params: idParam,
        body: saveVersionBody,
        response: { 200: workflowSchema, ...errors },
      },
    },
    async (request) => {
      const who = actorOf(requirePrincipal(request, 'write'));
      const saved = await db.transaction((tx) =>
        saveWorkflowVersion(tx, who, request.params.id, {
          graph: request.body.graph,
          name: request.body.name,
        }),
      );
      return workflowJson(saved);
    },
  );

  app.patch(
    '/workflows/:id',
    {
      schema: {
        tags,
        summary: 'Rename, archive or unarchive a workflow (no new version)',
        params: idParam,
        body: patchWorkflowBody,
        response: { 200: workflowSchema, ...errors },
      },
    },
    async (request) => {
      const who = actorOf(requirePrincipal(request, 'write'));
      const changed = await db.transaction((tx) => patchWorkflow(tx, who, request.params.id, request.body));
      return workflowJson(changed);
    },
  );

  app.delete(
    '/workflows/:id',
    {
      schema: {
        tags,
        summary: 'Archive a workflow',
        description:
          'Workflows and their versions are never deleted (runs reference them). A bound workflow answers ' +
          '409 `workflow_bound`: bind another one first.',
        params: idParam,
        response: { 200: workflowSchema, ...errors },
      },
    },
    async (request) => {
      const who = actorOf(requirePrincipal(request, 'write'));
      const archived = await db.transaction((tx) =>
        patchWorkflow(tx, who, request.params.id, { status: 'archived' }),
      );
      return workflowJson(archived);
    },
  );

  app.get(
    '/workflows/:id/versions',
    {
      schema: {
        tags,
        summary: 'List a workflow’s versions, newest first',
        params: idParam,
        querystring: listQuery,
        response: { 200: page(versionSummarySchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      if (!(await getWorkflow(db, tenantId, request.params.id)))
        throw notFound('workflow', request.params.id);
      const result = await listDefinitions(db, tenantId, request.params.id, request.query);
      return { data: result.data.map(versionSummaryJson), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/workflow-versions/:id',
    {
      schema: {
        tags,
        summary: 'Get one version of a workflow, with its graph',
        params: idParam,
        response: { 200: versionSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const definition = await getDefinition(db, tenantId, request.params.id);
      if (!definition) throw notFound('workflow version', request.params.id);
      return versionJson(definition);
    },
  );

  app.post(
    '/workflows/:id/bind',
    {
      schema: {
        tags,
        summary: 'Make this workflow the one its form type runs',
        description:
          'Replaces the form type’s previous workflow for new runs; runs already going are unaffected.',
        params: idParam,
        response: { 200: workflowSchema, ...errors },
      },
    },
    async (request) => {
      const who = actorOf(requirePrincipal(request, 'write'));
      return workflowJson(await db.transaction((tx) => bindWorkflow(tx, who, request.params.id)));
    },
  );

  app.post(
    '/workflows/:id/unbind',
    {
      schema: {
        tags,
        summary: 'Leave this workflow’s form type with no workflow',
        params: idParam,
        response: { 200: workflowSchema, ...errors },
      },
    },
    async (request) => {
      const who = actorOf(requirePrincipal(request, 'write'));
      return workflowJson(await db.transaction((tx) => unbindWorkflow(tx, who, request.params.id)));
    },
  );

  app.get(
    '/workflow-bindings',
    {
      schema: {
        tags,
        summary: 'Which workflow each form type runs',
        response: { 200: z.object({ data: z.array(bindingSchema) }), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      return db.transaction(async (tx) => {
        await ensureDefaultWorkflows(tx, tenantId);
        const data = [];
        for (const binding of await listBindings(tx, tenantId)) {
          const workflow = await getWorkflow(tx, tenantId, binding.workflowId);
          if (!workflow) continue; // a foreign key makes this impossible
          data.push(bindingJson(binding, workflow, await latestDefinition(tx, workflow)));
        }
        return { data };
      });
    },
  );
};
