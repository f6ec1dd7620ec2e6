import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { ChangeEvent, ChangeOperation } from '../kernel/changes.js';

export type WebhookFormat = 'cloudevents' | 'legacy';

/** A change as it leaves the emulator: its CloudEvents id is fixed once, so retries and duplicates repeat it. */
export interface OutgoingEvent {
  readonly eventId: string;
  readonly change: ChangeEvent;
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  datacontenttype: 'application/json';
  time: string;
  intuitentityid: string;
  intuitaccountid: string;
  data: Record<string, unknown>;
}

const PAST_TENSE: Record<ChangeOperation, string> = {
  Create: 'created',
  Update: 'updated',
  Delete: 'deleted',
  Merge: 'merged',
  Void: 'voided',
  Emailed: 'emailed',
};

/** Intuit's event ids end with the entity and its id after a UUID: `<uuid>-Invoice-130`. */
export function outgoing(change: ChangeEvent): OutgoingEvent {
  return { eventId: `${randomUUID()}-${change.entity}-${change.id}`, change };
}

/** `qbo.invoice.created.v1`: the entity in lower case, the operation in the past tense. */
export function cloudEventType(change: ChangeEvent): string {
  return `qbo.${change.entity.toLowerCase()}.${PAST_TENSE[change.operation]}.v1`;
}

/**
 * The `source` of Intuit's CloudEvents: `intuit.` and a base64 SHA-256 identifying the app. The
 * emulator derives it from the verifier token, so it is stable for one app and says nothing of it.
 */
export function defaultSource(verifierToken: string): string {
  return `intuit.${createHash('sha256').update(`source:${verifierToken}`).digest('base64')}`;
}

/** The body of one POST: a JSON array of CloudEvents, or the older `eventNotifications` grouped by company. */
export function renderPayload(
  events: readonly OutgoingEvent[],
  format: WebhookFormat,
  source: string,
): string {
  if (format === 'cloudevents') {
    const body: CloudEvent[] = events.map(({ eventId, change }) => ({
      specversion: '1.0',
      id: eventId,
      source,
      type: cloudEventType(change),
      datacontenttype: 'application/json',
      time: utc(change.lastUpdated),
      intuitentityid: change.id,
      intuitaccountid: change.realmId,
      data: {},
    }));
    return JSON.stringify(body);
  }
  const byRealm = new Map<
    string,
    { name: string; id: string; operation: ChangeOperation; lastUpdated: string }[]
  >();
  for (const { change } of events) {
    const entities = byRealm.get(change.realmId) ?? [];
    entities.push({
      name: change.entity,
      id: change.id,
      operation: change.operation,
      lastUpdated: utc(change.lastUpdated),
    });
    byRealm.set(change.realmId, entities);
  }
  return JSON.stringify({
    eventNotifications: [...byRealm].map(([realmId, entities]) => ({
      realmId,
      dataChangeEvent: { entities },
    })),
  });
}

/** The `intuit-signature` header: base64 HMAC-SHA256 of the raw body, keyed with the verifier token. */
export function intuitSignature(verifierToken: string, body: string): string {
  return createHmac('sha256', verifierToken).update(body, 'utf8').digest('base64');
}

/** Intuit's payloads carry UTC times (`…Z`); an unparsable time is passed on as it is. */
function utc(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString();
}
