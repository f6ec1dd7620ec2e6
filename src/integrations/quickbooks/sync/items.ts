import { PermanentJobError } from '../../../jobs/errors.js';
import {
  type ExternalLink,
  findLinkByExternal,
  findLinkByLocal,
  upsertLink,
} from '../../../store/repositories/external-links.js';
import { getService, type Service } from '../../../store/repositories/services.js';
import type { QboObject } from '../types.js';
import { toQboAmount } from './amounts.js';
import { hasFault, type QboSyncContext, qbo, quote, requestIdFor } from './context.js';
import { incomeAccountId } from './facts.js';
import { createOnce, updateFresh } from './writes.js';

/**
 * Services → QuickBooks Service items. Name `<code> <name>` (codes are unique per tenant, so names
 * are too), Description and UnitPrice from the service, IncomeAccountRef from settings or the first
 * Income account; archived → `Active: false` (QuickBooks never deletes items). An item of that name
 * already in QuickBooks and linked to no other service is adopted rather than duplicated.
 */
const NAME_LIMIT = 100;

export function itemName(service: Pick<Service, 'code' | 'name'>): string {
  const name = `${service.code} ${service.name}`
    .replaceAll(':', '-')
    .replace(/[\t\r\n]+/g, ' ')
    .trim();
  return name.slice(0, NAME_LIMIT);
}

function itemFields(service: Service): QboObject {
  return {
    Name: itemName(service),
    Description: (service.description ?? service.name).slice(0, 4000),
    UnitPrice: toQboAmount(service.unitPrice, service.currency),
    Taxable: service.taxRate !== null,
    Sku: service.code.slice(0, 100),
    Active: service.status === 'active',
  };
}

async function serviceLink(ctx: QboSyncContext, serviceId: string): Promise<ExternalLink | undefined> {
  const link = await findLinkByLocal(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'service',
    localId: serviceId,
  });
  if (link && link.externalAccount !== ctx.realmId) {
    throw new PermanentJobError(
      `service ${serviceId} is linked to an item in QuickBooks company ${link.externalAccount}, not ${ctx.realmId}`,
    );
  }
  return link;
}

/** The service's Item Id, creating (or adopting) it when the service has none yet. */
export async function ensureItem(ctx: QboSyncContext, serviceId: string): Promise<string> {
  const link = await serviceLink(ctx, serviceId);
  if (link) return link.externalId;
  return (await syncService(ctx, serviceId)).itemId;
}

/** Makes the service's Item match the service as it is now. */
export async function syncService(
  ctx: QboSyncContext,
  serviceId: string,
): Promise<{ itemId: string; updated: boolean }> {
  const service = await getService(ctx.db, ctx.tenantId, serviceId);
  if (!service) throw new PermanentJobError(`service ${serviceId} does not exist`);
  const link = await serviceLink(ctx, serviceId);
  const version = service.updatedAt.getTime();
  let item: QboObject;
  if (link) {
    if (link.data.version === version) return { itemId: link.externalId, updated: false };
    const known = typeof link.data.sync_token === 'string' ? link.data.sync_token : undefined;
    const updated = await updateFresh(
      ctx,
      `update the QuickBooks item of ${service.code}`,
      'Item',
      link.externalId,
      known,
      () => itemFields(service),
    );
    if (!updated) throw new PermanentJobError(`QuickBooks item ${link.externalId} could not be updated`);
    item = updated;
  } else {
    item = (await adoptable(ctx, service)) ?? (await createItem(ctx, service));
  }
  if (item.Id === undefined) throw new PermanentJobError('QuickBooks returned an item without an Id');
  await upsertLink(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'service',
    localId: service.id,
    externalId: item.Id,
    externalAccount: ctx.realmId,
    data: { version, sync_token: item.SyncToken, name: item.Name },
  });
  return { itemId: item.Id, updated: link !== undefined };
}

/** An item with our name (any state) that no other service holds: brought up to date and taken. */
async function adoptable(ctx: QboSyncContext, service: Service): Promise<QboObject | undefined> {
  const name = itemName(service);
  const found = await qbo(`look up the QuickBooks item ${name}`, () =>
    ctx.client.query(`SELECT * FROM Item WHERE Name = ${quote(name)} AND Active IN (true, false)`),
  );
  for (const candidate of found) {
    if (candidate.Id === undefined || candidate.Type !== 'Service') continue;
    const holder = await findLinkByExternal(ctx.db, {
      tenantId: ctx.tenantId,
      provider: 'quickbooks',
      localType: 'service',
      externalId: candidate.Id,
    });
    if (holder) continue;
    return updateFresh(
      ctx,
      `adopt the QuickBooks item ${name}`,
      'Item',
      candidate.Id,
      candidate.SyncToken,
      () => itemFields(service),
    );
  }
  return undefined;
}

async function createItem(ctx: QboSyncContext, service: Service): Promise<QboObject> {
  const name = itemName(service);
  try {
    const { object } = await createOnce(
      ctx,
      `create the QuickBooks item of service ${service.code}`,
      'Item',
      { ...itemFields(service), Type: 'Service', IncomeAccountRef: { value: await incomeAccountId(ctx) } },
      requestIdFor(ctx, 'item', service.id),
      async () => (await adoptable(ctx, service)) ?? undefined,
    );
    return object;
  } catch (error) {
    // Made meanwhile (by a person, or a lost answer of ours): take it if it is free.
    if (!hasFault(error, '6240')) throw error;
    const taken = await adoptable(ctx, service);
    if (taken) return taken;
    throw new PermanentJobError(
      `QuickBooks already has a product or service named "${name}" that another ledgerbridge service uses`,
    );
  }
}
