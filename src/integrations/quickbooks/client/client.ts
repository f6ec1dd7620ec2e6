import {
  type QboBatchItem,
  type QboBatchResult,
  type QboClient,
  QboFaultError,
  type QboObject,
  type QboRequestOptions,
  QboUncertainError,
} from '../types.js';
import { faultFrom, isRecord } from './faults.js';
import { entityOf, type QboTransport } from './http.js';

/** `Invoice` → `invoice`: the REST path segment of an entity. */
const segment = (entity: string) => encodeURIComponent(entity.toLowerCase());

/** The entity a `SELECT … FROM Entity …` statement reads (QueryResponse is keyed by it). */
export function queriedEntity(statement: string): string | undefined {
  return /\bfrom\s+([A-Za-z]+)/i.exec(statement)?.[1];
}

/**
 * QboClient over the transport: the shapes of QuickBooks' requests and answers for each operation.
 * Every call is one HTTP request (plus one after a 401); `calls` counts them.
 */
export class QboHttpClient implements QboClient {
  constructor(private readonly transport: QboTransport) {}

  get realmId(): string {
    return this.transport.realmId;
  }

  get calls(): number {
    return this.transport.calls;
  }

  async create(entity: string, body: QboObject, options?: QboRequestOptions): Promise<QboObject> {
    const answer = await this.transport.send({
      method: 'POST',
      path: segment(entity),
      params: { requestid: options?.requestId },
      body,
    });
    return entityOf(answer, entity);
  }

  async read(entity: string, id: string): Promise<QboObject | undefined> {
    try {
      const answer = await this.transport.send({
        method: 'GET',
        path: `${segment(entity)}/${encodeURIComponent(id)}`,
      });
      return entityOf(answer, entity);
    } catch (error) {
      if (error instanceof QboFaultError && error.has('610')) return undefined;
      throw error;
    }
  }

  async update(entity: string, body: QboObject, options?: QboRequestOptions): Promise<QboObject> {
    const answer = await this.transport.send({
      method: 'POST',
      path: segment(entity),
      params: { requestid: options?.requestId },
      body: { ...body, sparse: body.sparse !== false },
    });
    return entityOf(answer, entity);
  }

  async delete(
    entity: string,
    ref: { Id: string; SyncToken: string },
    options?: QboRequestOptions,
  ): Promise<void> {
    await this.transport.send({
      method: 'POST',
      path: segment(entity),
      params: { operation: 'delete', requestid: options?.requestId },
      body: { Id: ref.Id, SyncToken: ref.SyncToken },
    });
  }

  async void(
    entity: string,
    ref: { Id: string; SyncToken: string },
    options?: QboRequestOptions,
  ): Promise<QboObject> {
    // Payments are voided by a sparse update with include=void; other transactions by operation=void.
    const isPayment = entity === 'Payment';
    const answer = await this.transport.send({
      method: 'POST',
      path: segment(entity),
      params: isPayment
        ? { operation: 'update', include: 'void', requestid: options?.requestId }
        : { operation: 'void', requestid: options?.requestId },
      body: isPayment
        ? { Id: ref.Id, SyncToken: ref.SyncToken, sparse: true }
        : { Id: ref.Id, SyncToken: ref.SyncToken },
    });
    return entityOf(answer, entity);
  }

  async query(text: string): Promise<QboObject[]> {
    const response = await this.queryResponse(text);
    return rowsOf(response, queriedEntity(text));
  }

  async count(text: string): Promise<number> {
    const response = await this.queryResponse(text);
    return typeof response.totalCount === 'number' ? response.totalCount : 0;
  }

  async batch(items: readonly QboBatchItem[], options?: QboRequestOptions): Promise<QboBatchResult[]> {
    if (items.length === 0) return [];
    const BatchItemRequest = items.map((item) =>
      'query' in item
        ? { bId: item.bId, Query: item.query }
        : { bId: item.bId, operation: item.operation, [item.entity]: item.body },
    );
    const answer = await this.transport.send({
      method: 'POST',
      path: 'batch',
      params: { requestid: options?.requestId },
      body: { BatchItemRequest },
    });
    const responses = Array.isArray(answer.BatchItemResponse)
      ? answer.BatchItemResponse.filter(isRecord)
      : [];
    const byId = new Map(responses.map((response) => [String(response.bId), response]));
    // Answered in request order, each item matched by bId (QuickBooks does not promise the order).
    return items.map((item): QboBatchResult => {
      const response = byId.get(item.bId);
      if (!response) throw new QboUncertainError(`QuickBooks answered the batch without item ${item.bId}`);
      const fault = faultFrom(response, 200);
      if (fault) return { bId: item.bId, fault };
      if ('query' in item) {
        const queryResponse = isRecord(response.QueryResponse) ? response.QueryResponse : {};
        const totalCount =
          typeof queryResponse.totalCount === 'number' ? queryResponse.totalCount : undefined;
        return { bId: item.bId, rows: rowsOf(queryResponse, queriedEntity(item.query)), totalCount };
      }
      return { bId: item.bId, entity: item.entity, object: entityOf(response, item.entity) };
    });
  }

  async cdc(entities: readonly string[], changedSince: Date): Promise<Record<string, QboObject[]>> {
    const answer = await this.transport.send({
      method: 'GET',
      path: 'cdc',
      params: { entities: entities.join(','), changedSince: changedSince.toISOString() },
    });
    const changed: Record<string, QboObject[]> = Object.fromEntries(entities.map((entity) => [entity, []]));
    const cdcResponses = Array.isArray(answer.CDCResponse) ? answer.CDCResponse.filter(isRecord) : [];
    for (const cdcResponse of cdcResponses) {
      const queryResponses = Array.isArray(cdcResponse.QueryResponse)
        ? cdcResponse.QueryResponse.filter(isRecord)
        : [];
      for (const queryResponse of queryResponses) {
        for (const [key, value] of Object.entries(queryResponse)) {
          if (Array.isArray(value)) (changed[key] ??= []).push(...(value.filter(isRecord) as QboObject[]));
        }
      }
    }
    return changed;
  }

  private async queryResponse(text: string): Promise<Record<string, unknown>> {
    const answer = await this.transport.send({ method: 'GET', path: 'query', params: { query: text } });
    return isRecord(answer.QueryResponse) ? answer.QueryResponse : {};
  }
}

/** The rows of `entity` in a QueryResponse (an empty result has no key at all). */
function rowsOf(response: Record<string, unknown>, entity: string | undefined): QboObject[] {
  const rows = entity === undefined ? undefined : response[entity];
  return Array.isArray(rows) ? (rows.filter(isRecord) as QboObject[]) : [];
}
