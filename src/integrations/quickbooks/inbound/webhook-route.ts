import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../http/errors.js';
import { errorBody } from '../../../http/schemas/common.js';
import type { Db } from '../../../store/db.js';
import { findLiveConnectionByAccount } from '../../../store/repositories/integration-connections.js';
import type { QuickBooksIntegration } from '../types.js';
import { type QboInboxWrite, writeNotifications } from './inbox.js';
import {
  notificationType,
  orderingKeyFor,
  parseNotifications,
  type QboNotification,
} from './notifications.js';
import { verifyIntuitSignature } from './signature.js';

export interface QuickBooksWebhookRouteOptions {
  readonly db: Db;
  readonly quickbooks: QuickBooksIntegration;
}

/** The QuickBooks objects the pull applies; notifications about any other entity are kept as ignored. */
export const PULLED_ENTITIES: ReadonlySet<string> = new Set([
  'Invoice',
  'Payment',
  'Customer',
  'CreditMemo',
  'RefundReceipt',
]);

const receivedSchema = z.object({
  received: z.literal(true),
  /** Notifications in the delivery, and how many of them were new (the rest: already received). */
  events: z.number().int(),
  stored: z.number().int(),
});

/**
 * POST /webhooks/quickbooks, its own plugin so the raw-bytes body parser stays encapsulated.
 * (1) `intuit-signature` is checked on the raw bytes against every configured verifier token,
 *     before anything is parsed or stored: a failure answers 400 and writes nothing.
 * (2) Both payload formats are read (notifications.ts); one POST may carry notifications for several
 *     companies, each routed to the business whose live connection holds that realm. A realm nobody
 *     has connected is stored as 'ignored' with a note, and acknowledged (Intuit would otherwise
 *     retry it for days, holding back later notifications).
 * (3) All of them are stored in ONE transaction keyed by their event id, with one processing job per
 *     newly stored notification, ordered per QuickBooks object; duplicates are dropped by the key.
 * (4) 200 at once: the reads from QuickBooks and the changes run in the queue.
 */
export const quickbooksWebhookRoutes: FastifyPluginAsyncZod<QuickBooksWebhookRouteOptions> = async (
  app,
  { db, quickbooks },
) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/webhooks/quickbooks',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['webhooks'],
        summary: 'Receive QuickBooks Online change notifications (signed with intuit-signature)',
        response: { 200: receivedSchema, 400: errorBody },
      },
    },
    async (request) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers['intuit-signature'];
      // (1)
      const matched = verifyIntuitSignature(
        rawBody,
        Array.isArray(header) ? header[0] : header,
        quickbooks.settings.webhookVerifierTokens,
      );
      if (matched < 0) {
        throw new AppError('validation', 'invalid_signature', 'intuit-signature does not match the body');
      }
      // (2)
      let notifications: QboNotification[] | undefined;
      try {
        notifications = parseNotifications(JSON.parse(rawBody.toString('utf8')));
      } catch {
        notifications = undefined;
      }
      if (!notifications) {
        throw new AppError('validation', 'invalid_event', 'The body is not a QuickBooks notification');
      }
      const rawBodySha256 = createHash('sha256').update(rawBody).digest('hex');
      const tenants = new Map<string, string | undefined>();
      for (const realmId of new Set(notifications.map((n) => n.realmId))) {
        tenants.set(realmId, (await findLiveConnectionByAccount(db, 'quickbooks', realmId))?.tenantId);
      }
      const entries = notifications.map((notification): QboInboxWrite => {
        const tenantId = tenants.get(notification.realmId);
        const note = !tenantId
          ? `no business has connected QuickBooks company ${notification.realmId}`
          : !PULLED_ENTITIES.has(notification.entity)
            ? `QuickBooks ${notification.entity} changes are not pulled into ledgerbridge`
            : undefined;
        return {
          eventId: notification.eventId,
          realmId: notification.realmId,
          tenantId,
          type: notificationType(notification),
          rawJson: JSON.stringify(notification.raw),
          rawBodySha256,
          status: note === undefined ? 'pending' : 'ignored',
          note,
          orderingKey: orderingKeyFor(notification.realmId, notification.entity, notification.entityId),
        };
      });
      // (3)
      const created = await db.transaction((tx) => writeNotifications(tx, entries));
      // (4)
      return {
        received: true as const,
        events: entries.length,
        stored: created.filter(Boolean).length,
      };
    },
  );
};
