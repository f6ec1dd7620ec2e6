import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Job } from '../../jobs/job.js';
import { cancelJob, getJob, listJobs, retryDeadJob } from '../../jobs/repository.js';
import { jobStates } from '../../jobs/states.js';
import type { Db } from '../../store/db.js';
import { requirePrincipal } from '../auth.js';
import { notFound } from '../errors.js';
import { errorBody, idParam, iso, isoOrNull, isoTimestamp, page } from '../schemas/common.js';

export const jobSchema = z
  .object({
    id: z.string(),
    object: z.literal('job'),
    type: z.string(),
    state: z.enum(jobStates),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    run_at: isoTimestamp,
    dedupe_key: z.string().nullable(),
    ordering_key: z.string().nullable(),
    last_error: z.string().nullable(),
    payload: z.unknown(),
    result: z.unknown(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
    finished_at: isoTimestamp.nullable(),
  })
  .meta({ id: 'Job' });

function jobJson(job: Job): z.infer<typeof jobSchema> {
  return {
    id: job.id,
    object: 'job',
    type: job.type,
    state: job.state,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    run_at: iso(job.runAt),
    dedupe_key: job.dedupeKey,
    ordering_key: job.orderingKey,
    last_error: job.lastError,
    payload: job.payload,
    result: job.result,
    created_at: iso(job.createdAt),
    updated_at: iso(job.updatedAt),
    finished_at: isoOrNull(job.finishedAt),
  };
}

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };
const tags = ['jobs'];

/** The tenant's background work: what ran, what is waiting, and the dead letters to retry. */
export const jobRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/jobs',
    {
      schema: {
        tags,
        summary: 'List jobs, oldest first (state=dead lists the dead letters)',
        querystring: z
          .object({
            state: z.enum(jobStates).optional(),
            type: z.string().max(200).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(64).optional(),
          })
          .strict(),
        response: { 200: page(jobSchema), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const { state, type, limit, cursor } = request.query;
      const jobs = await listJobs(db, tenantId, {
        ...(state && { state }),
        ...(type && { type }),
        ...(cursor && { after: cursor }),
        limit: limit + 1,
      });
      const data = jobs.slice(0, limit);
      const last = data[data.length - 1];
      return { data: data.map(jobJson), next_cursor: jobs.length > limit && last ? last.id : null };
    },
  );

  app.get(
    '/jobs/:id',
    { schema: { tags, summary: 'Get a job', params: idParam, response: { 200: jobSchema, ...errors } } },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      const job = await getJob(db, tenantId, request.params.id);
      if (!job) throw notFound('job', request.params.id);
      return jobJson(job);
    },
  );

  app.post(
    '/jobs/:id/retry',
    {
      schema: {
        tags,
        summary: 'Run a dead-lettered job again with a fresh attempt budget',
        params: idParam,
        response: { 200: jobSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const job = await retryDeadJob(db, tenantId, request.params.id);
      if (!job) throw notFound('job', request.params.id);
      return jobJson(job);
    },
  );

  app.post(
    '/jobs/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Withdraw a queued or dead job so it never runs',
        params: idParam,
        response: { 200: jobSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'write');
      const job = await cancelJob(db, tenantId, request.params.id);
      if (!job) throw notFound('job', request.params.id);
      return jobJson(job);
    },
  );
};
