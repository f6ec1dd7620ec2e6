import { type ChangeOperation } from '../kernel/changes.js';
import type { Company, QboObject } from '../kernel/company.js';
import { qboTimestamp } from '../kernel/clock.js';
import { faults } from '../kernel/faults.js';
import { validateEntityBody } from '../kernel/schema.js';
import type { QboState } from '../kernel/state.js';
import {
  bool,
  type EntityHandler,
  type Json,
  nowStamp,
  type Prepared,
  refId,
  type WriteContext,
} from '../entities/context.js';
import { ENTITY_HANDLERS } from '../entities/registry.js';

/**
 * The write and read operations behind both the REST routes and batch items: create-or-update
 * (an Id in the body means update, with its SyncToken: 5010 when stale), sparse vs full update,
 * delete and void; every committed write is published on the change feed.
 */
export type WriteOperation = 'save' | 'delete' | 'void';

export interface WriteRequest {
  readonly entity: string;
  readonly operation: WriteOperation;
  readonly body: unknown;
  readonly allowDuplicateDocNumber?: boolean;
}

const SYSTEM_FIELDS = ['Id', 'SyncToken', 'MetaData', 'domain', 'sparse', 'status'];

export function handlerFor(entity: string): EntityHandler {
  const handler = ENTITY_HANDLERS.get(entity);
  if (!handler)
    throw faults.unsupportedOperation(
      `Operation Could not find resource for entity ${entity} is not supported.`,
    );
  return handler;
}

export function performWrite(state: QboState, company: Company, request: WriteRequest): Json {
  const handler = handlerFor(request.entity);
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw faults.unsupportedProperty(
      'failed to parse json object; a property specified is unsupported or invalid',
    );
  }
  validateEntityBody(request.entity, body as Json);
  const ctx: WriteContext = {
    company,
    nowMs: state.clock.now(),
    allowDuplicateDocNumber: request.allowDuplicateDocNumber ?? false,
    sideEffects: [],
  };
  const entity = request.entity;
  const id = refId((body as Json).Id);

  if (request.operation === 'save' && id === undefined) {
    if (!handler.creatable)
      throw faults.unsupportedOperation(`Operation Create is not supported for ${entity}.`);
    const prepared = handler.prepare(
      ctx,
      withoutFields(body as Json, [...SYSTEM_FIELDS, ...handler.readOnly]),
      undefined,
    );
    const stamp = nowStamp(ctx);
    const stored = finish(prepared, company.nextId(), '0', { CreateTime: stamp, LastUpdatedTime: stamp });
    return commit(state, ctx, entity, prepared, stored, 'Create');
  }

  const existing = id === undefined ? undefined : company.get(entity, id);
  if (!existing) throw faults.notFound();
  const syncToken = (body as Json).SyncToken;
  if (syncToken === undefined || syncToken === null) throw faults.missing('SyncToken');
  if (String(syncToken) !== existing.SyncToken) throw faults.stale();
  const nextToken = String(Number(existing.SyncToken) + 1);
  const meta = { CreateTime: existing.MetaData.CreateTime, LastUpdatedTime: nowStamp(ctx) };

  if (request.operation === 'delete') {
    if (!handler.deletable)
      throw faults.unsupportedOperation(`Operation Delete is not supported for ${entity}.`);
    const effects = handler.prepareDelete?.(ctx, existing);
    company.remove(entity, existing.Id, ctx.nowMs, meta.LastUpdatedTime);
    company.taxOverrides.delete(`${entity}:${existing.Id}`);
    effects?.();
    state.publish(company, entity, { Id: existing.Id, MetaData: meta }, 'Delete');
    publishSideEffects(state, ctx);
    return { [entity]: { domain: 'QBO', status: 'Deleted', Id: existing.Id } };
  }
  if (request.operation === 'void') {
    if (!handler.voidable || !handler.prepareVoid) {
      throw faults.unsupportedOperation(`Operation Void is not supported for ${entity}.`);
    }
    const prepared = handler.prepareVoid(ctx, existing);
    return commit(state, ctx, entity, prepared, finish(prepared, existing.Id, nextToken, meta), 'Void');
  }

  const sparse = bool((body as Json).sparse, false);
  const input = sparse ? sparseInput(company, entity, existing, body as Json) : { ...(body as Json) };
  for (const field of handler.readOnly) {
    if (existing[field] === undefined) delete input[field];
    else input[field] = existing[field];
  }
  const prepared = handler.prepare(ctx, withoutFields(input, SYSTEM_FIELDS), existing);
  return commit(state, ctx, entity, prepared, finish(prepared, existing.Id, nextToken, meta), 'Update');
}

/**
 * A sparse update changes only the fields sent. Tax the client once set by hand stays; otherwise it
 * is recomputed from the (possibly new) lines rather than echoing the stored TotalTax.
 */
function sparseInput(company: Company, entity: string, existing: QboObject, body: Json): Json {
  const input: Json = { ...existing, ...body };
  const tax = existing.TxnTaxDetail as Json | undefined;
  if (body.TxnTaxDetail === undefined && tax && !company.taxOverrides.has(`${entity}:${existing.Id}`)) {
    input.TxnTaxDetail = tax.TxnTaxCodeRef === undefined ? {} : { TxnTaxCodeRef: tax.TxnTaxCodeRef };
  }
  return input;
}

function finish(prepared: Prepared, id: string, syncToken: string, meta: QboObject['MetaData']): QboObject {
  const object = withoutFields(prepared.object, SYSTEM_FIELDS);
  return { domain: 'QBO', sparse: false, Id: id, SyncToken: syncToken, MetaData: meta, ...object };
}

function commit(
  state: QboState,
  ctx: WriteContext,
  entity: string,
  prepared: Prepared,
  stored: QboObject,
  operation: ChangeOperation,
): Json {
  ctx.company.put(entity, stored);
  prepared.commit?.(stored);
  state.publish(ctx.company, entity, stored, operation);
  publishSideEffects(state, ctx);
  return { [entity]: ctx.company.get(entity, stored.Id) ?? stored };
}

function publishSideEffects(state: QboState, ctx: WriteContext): void {
  for (const effect of ctx.sideEffects)
    state.publish(ctx.company, effect.entity, effect.object, effect.operation);
}

function withoutFields(object: Json, fields: readonly string[]): Json {
  const copy = { ...object };
  for (const field of fields) delete copy[field];
  return copy;
}

const SENDABLE = new Set(['Invoice', 'SalesReceipt', 'CreditMemo', 'RefundReceipt']);

/**
 * `POST /{entity}/{id}/send[?sendTo=]`: QuickBooks emails the form to `sendTo` (which becomes
 * BillEmail) or to its BillEmail, marks it `EmailStatus: EmailSent` with DeliveryInfo, and reports an
 * `Emailed` change.
 */
export function sendEntity(
  state: QboState,
  company: Company,
  entity: string,
  id: string,
  sendTo: string | undefined,
): Json {
  handlerFor(entity);
  if (!SENDABLE.has(entity))
    throw faults.unsupportedOperation(`Operation Send is not supported for ${entity}.`);
  const existing = company.get(entity, id);
  if (!existing) throw faults.notFound();
  const address = sendTo ?? (existing.BillEmail as { Address?: string } | undefined)?.Address;
  if (!address) throw faults.missing('BillEmail');
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
    throw faults.business(`Invalid email address: ${address}`, 'BillEmail.Address');
  }
  const now = state.clock.now();
  const stamp = qboTimestamp(now);
  const sent: QboObject = {
    ...existing,
    BillEmail: { Address: address },
    EmailStatus: 'EmailSent',
    DeliveryInfo: { DeliveryType: 'Email', DeliveryTime: stamp },
    SyncToken: String(Number(existing.SyncToken) + 1),
    MetaData: { ...existing.MetaData, LastUpdatedTime: stamp },
  };
  company.put(entity, sent);
  state.publish(company, entity, sent, 'Emailed');
  return { [entity]: sent };
}

export function readEntity(company: Company, entity: string, id: string): Json {
  handlerFor(entity);
  const found = company.get(entity, id);
  if (!found) throw faults.notFound();
  return { [entity]: found };
}
