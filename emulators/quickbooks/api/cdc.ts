import type { Company } from '../kernel/company.js';
import { faults } from '../kernel/faults.js';
import type { Json } from '../entities/context.js';
import { ENTITY_HANDLERS } from '../entities/registry.js';

/**
 * Change data capture: every object of the named entities changed since `changedSince` (at most
 * 30 days back), deleted ones as `{"Id","status":"Deleted","MetaData"}`, oldest change first and at
 * most 1000 objects in all — QuickBooks truncates rather than pages, so clients narrow the window.
 */
export const CDC_MAX_OBJECTS = 1000;
export const CDC_MAX_AGE_MS = 30 * 86_400_000;

export function changeDataCapture(
  company: Company,
  nowMs: number,
  entities: unknown,
  changedSince: unknown,
): Json {
  if (typeof entities !== 'string' || entities.trim() === '') throw faults.missing('entities');
  if (typeof changedSince !== 'string' || changedSince.trim() === '') throw faults.missing('changedSince');
  const since = Date.parse(changedSince);
  if (Number.isNaN(since))
    throw faults.business(`changedSince is not a valid date-time: ${changedSince}`, 'changedSince');
  if (nowMs - since > CDC_MAX_AGE_MS) {
    throw faults.unsupportedOperation(
      `Operation cdc with changedSince date ${changedSince} which is older than fixed days is not supported.`,
    );
  }
  const names = entities
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const canonical = names.map((name) => {
    const found = [...ENTITY_HANDLERS.keys()].find((entity) => entity.toLowerCase() === name.toLowerCase());
    if (!found) throw faults.business(`CDC does not support entity ${name}`, 'entities');
    return found;
  });

  let budget = CDC_MAX_OBJECTS;
  const responses = canonical.map((entity) => {
    const changed: { at: number; object: Json }[] = [];
    for (const object of company.all(entity)) {
      const at =
        company.changedAtMs.get(`${entity}:${object.Id}`) ?? Date.parse(object.MetaData.LastUpdatedTime);
      if (at >= since) changed.push({ at, object });
    }
    for (const tombstone of company.tombstones) {
      if (tombstone.entity !== entity || tombstone.deletedAtMs < since) continue;
      changed.push({
        at: tombstone.deletedAtMs,
        object: {
          domain: 'QBO',
          status: 'Deleted',
          Id: tombstone.id,
          MetaData: { LastUpdatedTime: tombstone.lastUpdated },
        },
      });
    }
    changed.sort((a, b) => a.at - b.at);
    const page = changed.slice(0, Math.max(0, budget)).map((entry) => entry.object);
    budget -= page.length;
    if (page.length === 0) return {};
    return { [entity]: page, startPosition: 1, maxResults: page.length, totalCount: page.length };
  });
  return { CDCResponse: [{ QueryResponse: responses }] };
}
