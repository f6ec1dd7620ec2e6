import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { PaymentMethod } from '../../domain/index.js';
import type { Db } from '../../store/db.js';
import { getInvoice } from '../../store/repositories/invoices.js';
import { getInvoiceRun } from '../../store/repositories/workflow-runs.js';
import { listTokens } from '../../store/repositories/workflow-tokens.js';
import {
  automationSettings,
  updateReviewRequestSettings,
} from '../../workflows/engine/automation-settings.js';
import { definitionOf } from '../../workflows/engine/graph.js';
import { completeStatusUpdate, retryNode } from '../../workflows/engine/person.js';
import { requirePrincipal } from '../auth.js';
import { AppError, invalidField, notFound } from '../errors.js';
import { errorBody, idParam } from '../schemas/common.js';
import {
  completeBody,
  nodeParams,
  reviewRequestJson,
  reviewRequestPatch,
  reviewRequestSchema,
  runJson,
  runSchema,
} from './workflow-runs-schemas.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };
const tags = ['workflow runs'];

/**
 * Each invoice's workflow run (src/workflows/engine/): what ran, what waits and for what, what
 * failed and why; a person answering a manual status update or retrying a failed step; and the
 * review-request automation's switch.
 */
export const workflowRunRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const runState = async (tenantId: string, invoiceId: string) => {
    if (!(await getInvoice(db, tenantId, invoiceId))) throw notFound('invoice', invoiceId);
    const run = await getInvoiceRun(db, tenantId, invoiceId);
    if (!run)
      throw new AppError('not_found', 'no_workflow_run', `Invoice '${invoiceId}' has no workflow run`);
    const definition = await definitionOf(db, tenantId, run.definitionId);
    return runJson(run, definition, await listTokens(db, tenantId, run.id));
  };

  app.get(
    '/invoices/:id/workflow',
    {
      schema: {
        tags,
        summary: "The invoice's workflow run: every node's state and every execution",
        description:
          'The run records the workflow version it started on and finishes on it. 404 `no_workflow_run` ' +
          'when no trigger of the bound workflow has fired for the invoice yet.',
        params: idParam,
        response: { 200: runSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      return runState(tenantId, request.params.id);
    },
  );

  app.post(
    '/invoices/:id/workflow/nodes/:nodeId/retry',
    {
      schema: {
        tags,
        summary: 'Run a failed node again',
        description: "409 `node_not_failed` unless the node's latest execution failed.",
        params: nodeParams,
        response: { 200: runSchema, ...errors },
      },
    },
    async (request) => {
      const who = requirePrincipal(request, 'write');
      await retryNode(db, who, request.params.id, request.params.nodeId);
      return runState(who.tenantId, request.params.id);
    },
  );

  app.post(
    '/invoices/:id/workflow/nodes/:nodeId/complete',
    {
      schema: {
        tags,
        summary: 'Answer a waiting manual status update with one of its allowed statuses',
        description:
          '"paid" records a manual payment of the balance (e.g. a check: `payment_method: "check"`), ' +
          'which also reaches QuickBooks. 409 `node_not_waiting` unless the node is waiting for a person.',
        params: nodeParams,
        body: completeBody,
        response: { 200: runSchema, ...errors },
      },
    },
    async (request) => {
      const who = requirePrincipal(request, 'write');
      const { status, payment_method: method, reference } = request.body;
      await completeStatusUpdate(db, who, request.params.id, request.params.nodeId, {
        status,
        payment: { method: method as PaymentMethod | undefined, reference },
      });
      return runState(who.tenantId, request.params.id);
    },
  );

  app.get(
    '/automations/review-request',
    {
      schema: {
        tags,
        summary: "The review-request automation: a contact's first invoice paid in full → one review request",
        response: { 200: reviewRequestSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      return reviewRequestJson(await automationSettings(db, tenantId));
    },
  );

  app.patch(
    '/automations/review-request',
    {
      schema: {
        tags,
        summary: 'Turn the review-request automation on or off, or change its review link',
        description: 'Turning it on needs a `review_url` (set now or before).',
        body: reviewRequestPatch,
        response: { 200: reviewRequestSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'manage_integrations');
      const body = request.body;
      const settings = await db.transaction(async (tx) => {
        const current = await automationSettings(tx, tenantId);
        const enabled = body.enabled ?? current.reviewRequestEnabled;
        const reviewUrl = body.review_url === undefined ? current.reviewUrl : body.review_url;
        if (enabled && reviewUrl === null) {
          throw invalidField('review_url', 'is required while the automation is on');
        }
        return updateReviewRequestSettings(tx, tenantId, { enabled, reviewUrl });
      });
      return reviewRequestJson(settings);
    },
  );
};
