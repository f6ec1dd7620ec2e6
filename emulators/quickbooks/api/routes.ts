import type { FastifyInstance } from 'fastify';
import { faults } from '../kernel/faults.js';
import { entityForPath } from '../entities/registry.js';
import { createTaxCode } from '../entities/tax-service.js';
import { runBatch } from './batch.js';
import { changeDataCapture } from './cdc.js';
import { performWrite, readEntity, sendEntity, type WriteOperation } from './operations.js';
import { type ApiDeps, handleApiCall, parseJsonBody } from './pipeline.js';
import { answerQuery } from './query.js';

/**
 * QuickBooks Online Accounting API v3 under `/v3/company/:realmId/`: create/update/delete/void
 * (`POST /{entity}`), read (`GET /{entity}/:id`), query, batch, CDC, preferences, companyinfo.
 * Bodies are read raw here (JSON, or query text for `application/text`) so malformed JSON is
 * answered with QuickBooks' Fault rather than Fastify's.
 */
export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  void app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    const base = '/v3/company/:realmId';

    api.get(`${base}/query`, (request, reply) =>
      handleApiCall(deps, request, reply, { segment: 'query' }, (call) =>
        answerQuery(call.company, call.query.query),
      ),
    );
    api.post(`${base}/query`, (request, reply) =>
      handleApiCall(deps, request, reply, { segment: 'query' }, (call) =>
        answerQuery(call.company, call.query.query ?? call.body),
      ),
    );
    api.post(`${base}/batch`, (request, reply) =>
      handleApiCall(deps, request, reply, { segment: 'batch', batch: true }, (call) =>
        runBatch(deps.state, call.company, parseJsonBody(call.body), allowsDuplicates(call.query.include)),
      ),
    );
    api.get(`${base}/cdc`, (request, reply) =>
      handleApiCall(deps, request, reply, { segment: 'cdc' }, (call) =>
        changeDataCapture(call.company, deps.state.clock.now(), call.query.entities, call.query.changedSince),
      ),
    );
    api.post(`${base}/taxservice/taxcode`, (request, reply) =>
      handleApiCall(deps, request, reply, { segment: 'taxservice' }, (call) =>
        createTaxCode(deps.state, call.company, parseJsonBody(call.body)),
      ),
    );
    api.get(`${base}/preferences`, (request, reply) =>
      handleApiCall(deps, request, reply, { segment: 'preferences' }, (call) => ({
        Preferences: call.company.preferences,
      })),
    );
    api.get(`${base}/:entity/:id`, (request, reply) => {
      const { entity: segment = '', id = '' } = request.params as Record<string, string>;
      return handleApiCall(deps, request, reply, { segment: segment.toLowerCase() }, (call) => {
        const entity = entityForPath(segment);
        if (!entity) throw unknownResource(request.url);
        if (entity === 'CompanyInfo' && id === call.company.realmId)
          return { CompanyInfo: call.company.companyInfo };
        return readEntity(call.company, entity, id);
      });
    });
    api.post(`${base}/:entity/:id/send`, (request, reply) => {
      const { entity: segment = '', id = '' } = request.params as Record<string, string>;
      return handleApiCall(deps, request, reply, { segment: segment.toLowerCase() }, (call) => {
        const entity = entityForPath(segment);
        if (!entity) throw unknownResource(request.url);
        return sendEntity(deps.state, call.company, entity, id, call.query.sendTo);
      });
    });
    api.post(`${base}/:entity`, (request, reply) => {
      const { entity: segment = '' } = request.params as Record<string, string>;
      return handleApiCall(deps, request, reply, { segment: segment.toLowerCase() }, (call) => {
        const entity = entityForPath(segment);
        if (!entity) throw unknownResource(request.url);
        return performWrite(deps.state, call.company, {
          entity,
          operation: operationOf(call.query.operation, call.query.include),
          body: parseJsonBody(call.body),
          allowDuplicateDocNumber: allowsDuplicates(call.query.include),
        });
      });
    });
  });
}

function operationOf(operation: string | undefined, include: string | undefined): WriteOperation {
  const name = operation?.toLowerCase();
  if (name === 'delete') return 'delete';
  if (name === 'void') return 'void';
  if (name === 'update' && includes(include, 'void')) return 'void';
  if (name === undefined || name === 'update' || name === 'create') return 'save';
  throw faults.unsupportedOperation(`Operation ${operation} is not supported.`);
}

function includes(include: string | undefined, value: string): boolean {
  return (include ?? '')
    .toLowerCase()
    .split(',')
    .map((part) => part.trim())
    .includes(value);
}

function allowsDuplicates(include: string | undefined): boolean {
  return includes(include, 'allowduplicatedocnum');
}

function unknownResource(url: string): Error {
  const path = url.split('?')[0] ?? url;
  return faults.unsupportedOperation(
    `Operation Could not find resource for relative : ${path} is not supported.`,
  );
}
