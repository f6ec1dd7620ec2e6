import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../http/errors.js';
import { errorBody } from '../../http/schemas/common.js';
import type { Db } from '../../store/db.js';
import { type Connection, credentialContext } from '../../store/repositories/integration-connections.js';
import { ConnectionLookups } from './connection-lookups.js';
import { InboxWriter } from './inbox-writer.js';
import type { StripeIntegration } from './settings.js';
import { verifyStripeSignature } from './webhook-signature.js';

export interface WebhookRouteOptions {
  readonly db: Db;
  readonly stripe: StripeIntegration;
}

const eventShape = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  account: z.string().min(1).max(255).optional(),
  data: z.object({ object: z.looseObject({}) }),
});
type StripeEvent = z.infer<typeof eventShape>;

const receivedSchema = z.object({ received: z.literal(true), duplicate: z.boolean() });

/**
 * POST /webhooks/stripe. Registered as its own plugin so its content-type parser (raw bytes, any
 * content type) is encapsulated: the rest of the app keeps parsing JSON, while here the signature is
 * checked on exactly the bytes Stripe signed.
 */
export const stripeWebhookRoutes: FastifyPluginAsyncZod<WebhookRouteOptions> = async (
  app,
  { db, stripe },
) => {
  const writer = new InboxWriter(db);
  const lookups = new ConnectionLookups(db);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/webhooks/stripe',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['webhooks'],
        summary: 'Receive a Stripe event (signed with Stripe-Signature)',
        response: { 200: receivedSchema, 400: errorBody },
      },
    },
    async (request) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers['stripe-signature'];
      // Untrusted until (1) passes; used only to pick which connections' secrets could have signed it.
      const text = rawBody.toString('utf8');
      const claimed = parseEvent(text);

      // (1) Verify the signature on the raw bytes, against the platform's secrets and the webhook
      //     secrets of the connections that could have sent it. Failure: 400, nothing stored.
      //     The platform's secrets are tried alone first: Connect events (most of them) then need no
      //     lookup at all, and since they come first among the candidates, adding the connections'
      //     secrets could not change which one matched.
      const platform = stripe.settings.webhookSecrets.map((secret) => ({ secret, tenantId: undefined }));
      const verifyAgainst = (holders: readonly Connection[] | undefined) => {
        const candidates: { secret: string; tenantId: string | undefined }[] = [...platform];
        for (const holder of holders ?? []) {
          if (!holder.webhookSecret) continue;
          try {
            const secret = stripe.secrets.decrypt(
              holder.webhookSecret,
              credentialContext(holder, 'webhook_secret'),
            );
            candidates.push({ secret, tenantId: holder.tenantId });
          } catch (error) {
            // A key removed from ENCRYPTION_KEY too early: that connection's events fail, others go on.
            request.log.warn({ connection: holder.id, err: error }, 'cannot open a stored webhook secret');
          }
        }
        const result = verifyStripeSignature({
          rawBody,
          header: Array.isArray(header) ? header.join(',') : header,
          secrets: candidates.map((candidate) => candidate.secret),
          nowMs: stripe.now(),
        });
        return { result, candidates };
      };
      const unmatched = (result: ReturnType<typeof verifyStripeSignature>) =>
        !result.ok && result.reason === 'no_matching_signature';
      let { result: verified, candidates } = verifyAgainst(undefined);
      if (unmatched(verified)) {
        ({ result: verified, candidates } = verifyAgainst(await lookups.secretHolders(claimed?.account)));
      }
      // The remembered secrets may predate a connection made a moment ago: look again before refusing.
      if (unmatched(verified)) {
        ({ result: verified, candidates } = verifyAgainst(
          await lookups.secretHolders(claimed?.account, { fresh: true }),
        ));
      }
      if (!verified.ok) {
        throw new AppError(
          'validation',
          'invalid_signature',
          `Stripe-Signature rejected: ${verified.reason}`,
        );
      }

      // (2) The event itself. Signed but not an event: Stripe never sends that, so 400.
      if (!claimed) throw new AppError('validation', 'invalid_event', 'The body is not a Stripe event');
      const event = claimed;

      // (3) Whose event is it: the connected account it names (Connect), else the connection whose
      //     own endpoint secret signed it. None: stored as ignored and acknowledged, since Stripe
      //     would otherwise retry an event nobody here can use for days.
      const matchedTenant = candidates[verified.secretIndex]?.tenantId;
      const tenantId = event.account
        ? (await lookups.connectionByAccount(event.account))?.tenantId
        : matchedTenant;

      // (4) Store once and enqueue in the same statement (group-committed with deliveries arriving
      //     at the same moment), answered after it commits. A duplicate delivery conflicts on
      //     (provider, event_id), or is one the writer saw committed: nothing is stored or enqueued again.
      const created = await writer.write({
        provider: 'stripe',
        eventId: event.id,
        account: event.account,
        tenantId,
        type: event.type,
        rawJson: text,
        rawBodySha256: createHash('sha256').update(rawBody).digest('hex'),
        status: tenantId ? 'pending' : 'ignored',
        ...(tenantId
          ? {}
          : { note: `no business has connected Stripe account ${event.account ?? '(none named)'}` }),
        orderingKey: orderingKeyOf(event),
      });

      // (5) Answer at once; the worker does the rest.
      return { received: true as const, duplicate: !created };
    },
  );
};

function parseEvent(text: string): StripeEvent | undefined {
  try {
    const parsed = eventShape.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Events about one Stripe object are applied one at a time, in arrival order: `stripe:invoice:in_…`
 * for an invoice, likewise for any object with an id. (Arrival order is not Stripe's order; handlers
 * still refuse to move an object backwards.)
 */
export function orderingKeyOf(event: Pick<StripeEvent, 'data'>): string | undefined {
  const object = event.data.object;
  const id = typeof object.id === 'string' ? object.id : undefined;
  const kind = typeof object.object === 'string' ? object.object : 'object';
  return id ? `stripe:${kind}:${id}` : undefined;
}
