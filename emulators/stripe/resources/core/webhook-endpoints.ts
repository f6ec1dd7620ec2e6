import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { z } from 'zod';
import { invalidRequest, parameterInvalid } from '../../kernel/errors.js';
import { stripeId } from '../../kernel/ids.js';
import {
  bool,
  emptyable,
  expand,
  listParams,
  mergeMetadata,
  metadata,
  parseParams,
  str,
} from '../../kernel/params.js';
import type { ResourceModule } from '../../server.js';
import { isKnownEventType } from '../../webhooks/event-types.js';
import { setEndpointInternals, type WebhookEndpoint } from '../../webhooks/endpoints.js';
import { listObjects, store, textOrNull } from './common.js';

/** Stripe's limit on webhook endpoints per account in test mode. */
const MAX_ENDPOINTS = 16;

const url = str(5000).refine((value) => URL.canParse(value) && /^https?:/.test(value), {
  message: 'must be a valid http(s) URL',
});

const createSchema = z
  .object({
    api_version: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/)
      .optional(),
    connect: bool().optional(),
    description: emptyable(str()).optional(),
    enabled_events: z.array(str(200)).min(1),
    expand: expand(),
    metadata: metadata(),
    url,
  })
  .strict();

const updateSchema = z
  .object({
    description: emptyable(str()).optional(),
    disabled: bool().optional(),
    enabled_events: z.array(str(200)).min(1).optional(),
    expand: expand(),
    metadata: metadata(),
    url: url.optional(),
  })
  .strict();

/**
 * Webhook endpoints: create (the `whsec_` secret is shown only then), retrieve, update, list,
 * delete. Stripe has no events for endpoint changes, so none are emitted.
 */
export const webhookEndpointsResource: ResourceModule = (router) => {
  router.post('/v1/webhook_endpoints', ({ account, params, now }) => {
    const p = parseParams(createSchema, params);
    checkEvents(p.enabled_events);
    if (account.all('webhook_endpoint').length >= MAX_ENDPOINTS) {
      throw invalidRequest(`You have reached the maximum of ${MAX_ENDPOINTS} test webhook endpoints.`);
    }
    const endpoint = store<Stripe.WebhookEndpoint>(account, {
      id: stripeId('we', 24),
      object: 'webhook_endpoint',
      api_version: p.api_version ?? null,
      application: null,
      created: now,
      description: textOrNull(p.description),
      enabled_events: p.enabled_events,
      livemode: false,
      metadata: mergeMetadata({}, p.metadata),
      status: 'enabled',
      url: p.url,
    });
    const secret = `whsec_${randomBytes(24).toString('hex')}`;
    setEndpointInternals(endpoint, { secret, connect: p.connect ?? false });
    return { ...endpoint, secret };
  });

  router.get('/v1/webhook_endpoints/:id', ({ account, pathParams, params }) => {
    parseParams(z.object({ expand: expand() }).strict(), params);
    return account.get<WebhookEndpoint>('webhook_endpoint', String(pathParams.id));
  });

  router.post('/v1/webhook_endpoints/:id', ({ account, pathParams, params }) => {
    const endpoint = account.get<WebhookEndpoint>('webhook_endpoint', String(pathParams.id));
    const p = parseParams(updateSchema, params);
    if (p.enabled_events) checkEvents(p.enabled_events);
    if (p.description !== undefined) endpoint.description = textOrNull(p.description);
    if (p.disabled !== undefined) endpoint.status = p.disabled ? 'disabled' : 'enabled';
    if (p.enabled_events !== undefined) endpoint.enabled_events = p.enabled_events;
    if (p.metadata !== undefined) endpoint.metadata = mergeMetadata(endpoint.metadata, p.metadata);
    if (p.url !== undefined) endpoint.url = p.url;
    return endpoint;
  });

  router.delete('/v1/webhook_endpoints/:id', ({ account, pathParams }) => {
    const endpoint = account.get<WebhookEndpoint>('webhook_endpoint', String(pathParams.id));
    account.delete(endpoint.id);
    const deleted: Stripe.DeletedWebhookEndpoint = {
      id: endpoint.id,
      object: 'webhook_endpoint',
      deleted: true,
    };
    return deleted;
  });

  router.get('/v1/webhook_endpoints', ({ account, params }) => {
    const { limit, starting_after, ending_before, expand: expandParam } = listParams;
    const q = parseParams(
      z.object({ limit, starting_after, ending_before, expand: expandParam }).strict(),
      params,
    );
    return listObjects<WebhookEndpoint>(account, 'webhook_endpoint', q, '/v1/webhook_endpoints');
  });
};

function checkEvents(events: readonly string[]): void {
  events.forEach((type, index) => {
    if (!isKnownEventType(type)) {
      throw parameterInvalid(
        `enabled_events[${index}]`,
        `Invalid enabled_events[${index}]: '${type}' is not an event type this endpoint can subscribe to.`,
        'parameter_invalid_string',
      );
    }
  });
}
