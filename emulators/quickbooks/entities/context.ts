import type { ChangeOperation } from '../kernel/changes.js';
import { qboTimestamp } from '../kernel/clock.js';
import type { Company, QboObject } from '../kernel/company.js';
import { faults } from '../kernel/faults.js';

/** One write in progress: the company, the moment, request switches, and what else it changed. */
export interface WriteContext {
  readonly company: Company;
  readonly nowMs: number;
  /** `include=allowduplicatedocnum` on the request. */
  readonly allowDuplicateDocNumber: boolean;
  /** Objects a write changed besides its own (invoices a payment paid), published after it. */
  readonly sideEffects: { entity: string; object: QboObject; operation: ChangeOperation }[];
}

export type Json = Record<string, unknown>;

/** What `prepare` hands back once every check passed: the object to store and effects to apply. */
export interface Prepared {
  readonly object: Json;
  /** Runs after the object got its Id and was stored; must not fail. */
  readonly commit?: (stored: QboObject) => void;
}

export interface EntityHandler {
  readonly entity: string;
  readonly creatable: boolean;
  readonly deletable: boolean;
  readonly voidable: boolean;
  /** Fields QuickBooks computes: ignored in requests, kept from the stored object on update. */
  readonly readOnly: readonly string[];
  prepare(ctx: WriteContext, input: Json, existing: QboObject | undefined): Prepared;
  prepareDelete?(ctx: WriteContext, existing: QboObject): () => void;
  prepareVoid?(ctx: WriteContext, existing: QboObject): Prepared;
}

export function nowStamp(ctx: WriteContext): string {
  return qboTimestamp(ctx.nowMs);
}

/** Changes another stored object as a consequence of this write: new SyncToken, LastUpdatedTime, event. */
export function touch(
  ctx: WriteContext,
  entity: string,
  object: QboObject,
  change: (draft: QboObject) => void,
): void {
  const draft = structuredClone(object);
  change(draft);
  draft.SyncToken = String(Number(object.SyncToken) + 1);
  draft.MetaData = { ...object.MetaData, LastUpdatedTime: nowStamp(ctx) };
  ctx.company.put(entity, draft);
  const already = ctx.sideEffects.find(
    (effect) => effect.entity === entity && effect.object.Id === object.Id,
  );
  if (already) already.object = draft;
  else ctx.sideEffects.push({ entity, object: draft, operation: 'Update' });
}

export interface Ref {
  value: string;
  name?: string;
}

/** The Id in a reference, which clients send as `{"value":"1"}` (or, leniently, a bare string). */
export function refId(ref: unknown): string | undefined {
  if (typeof ref === 'string' || typeof ref === 'number') return String(ref);
  if (ref && typeof ref === 'object') {
    const value = (ref as { value?: unknown }).value;
    if (typeof value === 'string' || typeof value === 'number') return String(value);
  }
  return undefined;
}

/**
 * The referenced object: 2500 when it does not exist, 610 when it was made inactive, as QuickBooks
 * answers a transaction pointing at a deleted customer or item.
 */
export function resolveRef(ctx: WriteContext, entity: string, ref: unknown, element: string): QboObject {
  const id = refId(ref);
  if (id === undefined) throw faults.invalidReference(element);
  const found = ctx.company.get(entity, id);
  if (!found) throw faults.invalidReference(element);
  if (found.Active === false) throw faults.notFound();
  return found;
}

export function requireRef(ctx: WriteContext, entity: string, ref: unknown, element: string): QboObject {
  if (ref === undefined || ref === null) throw faults.missing(element);
  return resolveRef(ctx, entity, ref, element);
}

/** A reference as QuickBooks returns it: the Id plus the referenced object's display name. */
export function namedRef(object: QboObject, nameField = 'Name'): Ref {
  const name = object[nameField];
  return typeof name === 'string' ? { value: object.Id, name } : { value: object.Id };
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function bool(value: unknown, fallback: boolean): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return typeof value === 'boolean' ? value : fallback;
}

/** Names compare as QuickBooks compares them: trimmed, case-insensitive. */
export function sameName(a: unknown, b: unknown): boolean {
  return typeof a === 'string' && typeof b === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();
}

export function assertMaxLength(value: unknown, element: string, max: number): void {
  if (typeof value === 'string' && value.length > max) throw faults.lengthExceeded(element, max);
}
