import type { Company } from '../kernel/company.js';
import { faults, QboFault } from '../kernel/faults.js';
import type { QboState } from '../kernel/state.js';
import type { Json } from '../entities/context.js';
import { ENTITY_HANDLERS } from '../entities/registry.js';
import { performWrite, type WriteOperation } from './operations.js';
import { answerQuery } from './query.js';

/**
 * `POST …/batch`: up to 30 items, run in order, each answered on its own — the entity, a
 * QueryResponse, or a Fault — under HTTP 200. Items do not see each other's results (a later item
 * cannot refer to an object an earlier one creates by anything but what the client already knows).
 */
export const BATCH_MAX_ITEMS = 30;

const OPERATIONS: Readonly<Record<string, WriteOperation>> = {
  create: 'save',
  update: 'save',
  delete: 'delete',
  void: 'void',
};

export function runBatch(
  state: QboState,
  company: Company,
  body: unknown,
  allowDuplicateDocNumber: boolean,
): Json {
  const items = (body as Json | undefined)?.BatchItemRequest;
  if (!Array.isArray(items) || items.length === 0) throw faults.missing('BatchItemRequest');
  if (items.length > BATCH_MAX_ITEMS) {
    throw faults.business(
      `The batch holds ${items.length} items; a batch request can hold at most ${BATCH_MAX_ITEMS}`,
      'BatchItemRequest',
    );
  }
  const responses = (items as Json[]).map((item) => {
    const bId = String(item.bId ?? '');
    try {
      return { bId, ...runItem(state, company, item, allowDuplicateDocNumber) };
    } catch (error) {
      if (error instanceof QboFault && error.status < 500) return { bId, ...error.toJSON() };
      return { bId, ...faults.system().toJSON() };
    }
  });
  return { BatchItemResponse: responses };
}

function runItem(state: QboState, company: Company, item: Json, allowDuplicateDocNumber: boolean): Json {
  if (typeof item.Query === 'string') return answerQuery(company, item.Query);
  const entity = Object.keys(item).find((key) => ENTITY_HANDLERS.has(key));
  if (!entity)
    throw faults.unsupportedProperty('failed to parse json object; the batch item names no entity');
  const operationName = typeof item.operation === 'string' ? item.operation.toLowerCase() : 'create';
  const operation = OPERATIONS[operationName];
  if (!operation) throw faults.unsupportedOperation(`Operation ${operationName} is not supported.`);
  const payload = item[entity] as Json | undefined;
  if (operationName === 'update' && (payload?.Id === undefined || payload.Id === null))
    throw faults.missing('Id');
  if (operationName === 'create' && payload && payload.Id !== undefined) {
    throw faults.business('Id must not be set when creating an object', 'Id');
  }
  return performWrite(state, company, { entity, operation, body: payload, allowDuplicateDocNumber });
}
