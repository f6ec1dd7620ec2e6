import { z } from 'zod';

/**
 * The two shapes Intuit posts to the webhook endpoint, read into one form. Both carry ids, never
 * data: a notification says "Invoice 42 of company 9130… changed", and processing reads the object.
 *
 * - CloudEvents (current): a JSON array of `{ id, type: 'qbo.invoice.updated.v1', intuitaccountid
 *   (the realmId), intuitentityid, time, … }`.
 * - Legacy: `{ eventNotifications: [{ realmId, dataChangeEvent: { entities: [{ name, id,
 *   operation, lastUpdated }] } }] }`. It has no event id, so one is made from what identifies the
 *   change: realm, entity, id, operation and lastUpdated. A redelivery repeats all five, so it
 *   collides in the inbox and is dropped, while a later change of the same object has a new
 *   lastUpdated and is kept.
 */
export type QboOperation = 'Create' | 'Update' | 'Delete' | 'Merge' | 'Void' | 'Emailed';

export interface QboNotification {
  /** Stable per change: the dedupe key in webhook_inbox. */
  readonly eventId: string;
  readonly realmId: string;
  /** API entity name: 'Invoice', 'Payment', 'Customer', 'CreditMemo', … */
  readonly entity: string;
  readonly entityId: string;
  readonly operation: QboOperation;
  /** When the change happened, as QuickBooks said (ISO 8601), if it said. */
  readonly occurredAt: string | undefined;
  /** The notification itself, stored as the inbox entry's payload. */
  readonly raw: Record<string, unknown>;
}

/** Inbox `type` of a notification: `Invoice.Update`, `Payment.Create`, … (both formats alike). */
export function notificationType(notification: Pick<QboNotification, 'entity' | 'operation'>): string {
  return `${notification.entity}.${notification.operation}`;
}

/** Events about one QuickBooks object are applied one at a time, in arrival order. */
export function orderingKeyFor(realmId: string, entity: string, entityId: string): string {
  return `quickbooks:${realmId}:${entity}:${entityId}`;
}

const ENTITY_NAMES: Readonly<Record<string, string>> = {
  invoice: 'Invoice',
  payment: 'Payment',
  customer: 'Customer',
  creditmemo: 'CreditMemo',
  salesreceipt: 'SalesReceipt',
  refundreceipt: 'RefundReceipt',
  item: 'Item',
  deposit: 'Deposit',
  account: 'Account',
  vendor: 'Vendor',
  estimate: 'Estimate',
};

const OPERATIONS: Readonly<Record<string, QboOperation>> = {
  created: 'Create',
  create: 'Create',
  updated: 'Update',
  update: 'Update',
  deleted: 'Delete',
  delete: 'Delete',
  merged: 'Merge',
  merge: 'Merge',
  voided: 'Void',
  void: 'Void',
  emailed: 'Emailed',
};

function entityName(text: string): string {
  const known = ENTITY_NAMES[text.toLowerCase()];
  return known ?? text.charAt(0).toUpperCase() + text.slice(1);
}

const text = z.string().min(1).max(255);

const cloudEvent = z.looseObject({
  id: text,
  type: text,
  intuitaccountid: z.union([text, z.number()]).transform(String),
  intuitentityid: z.union([text, z.number()]).transform(String),
  time: z.string().max(64).optional(),
});

const legacyBody = z.looseObject({
  eventNotifications: z
    .array(
      z.looseObject({
        realmId: z.union([text, z.number()]).transform(String),
        dataChangeEvent: z.looseObject({
          entities: z.array(
            z.looseObject({
              name: text,
              id: z.union([text, z.number()]).transform(String),
              operation: text,
              lastUpdated: z.string().max(64).optional(),
            }),
          ),
        }),
      }),
    )
    .max(1000),
});

/** The most notifications one POST may carry (Intuit sends at most 100). */
export const MAX_NOTIFICATIONS = 1000;

/** The notifications of a verified body, or undefined when it is neither format. */
export function parseNotifications(body: unknown): QboNotification[] | undefined {
  if (Array.isArray(body)) {
    if (body.length > MAX_NOTIFICATIONS) return undefined;
    const events: QboNotification[] = [];
    for (const item of body) {
      const parsed = cloudEvent.safeParse(item);
      if (!parsed.success) return undefined;
      const event = parsed.data;
      // qbo.<entity>.<operation>.v<n>
      const [, entity, operation] = event.type.split('.');
      const op = operation === undefined ? undefined : OPERATIONS[operation.toLowerCase()];
      if (entity === undefined || op === undefined) return undefined;
      events.push({
        eventId: event.id,
        realmId: event.intuitaccountid,
        entity: entityName(entity),
        entityId: event.intuitentityid,
        operation: op,
        occurredAt: event.time,
        raw: item as Record<string, unknown>,
      });
    }
    return events;
  }
  const parsed = legacyBody.safeParse(body);
  if (!parsed.success) return undefined;
  const events: QboNotification[] = [];
  for (const notification of parsed.data.eventNotifications) {
    for (const entity of notification.dataChangeEvent.entities) {
      const op = OPERATIONS[entity.operation.toLowerCase()];
      if (op === undefined) return undefined;
      const name = entityName(entity.name);
      events.push({
        eventId: [notification.realmId, name, entity.id, op, entity.lastUpdated ?? ''].join(':'),
        realmId: notification.realmId,
        entity: name,
        entityId: entity.id,
        operation: op,
        occurredAt: entity.lastUpdated,
        raw: { realmId: notification.realmId, ...entity },
      });
    }
  }
  return events.length > MAX_NOTIFICATIONS ? undefined : events;
}
