import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  completeOAuth,
  connectWithApiKey,
  disconnect,
  SECRET_KEY_PATTERN,
  startOAuth,
  updateSettings,
  verifyConnection,
} from '../../integrations/stripe/connection.js';
import type { StripeIntegration } from '../../integrations/stripe/settings.js';
import type { Db } from '../../store/db.js';
import { type Connection, getCurrentConnection } from '../../store/repositories/integration-connections.js';
import { requirePrincipal } from '../auth.js';
import { isoOrNull, isoTimestamp } from '../schemas/common.js';
import {
  integrationErrors,
  integrationTags,
  manageIntegrations,
  oauthStartResponse,
} from './integration-schemas.js';

/**
 * A tenant's Stripe connection. The answer never carries a credential or webhook secret, not even
 * encrypted: only what the connection is and how it is doing.
 */
export const stripeConnectionSchema = z
  .object({
    object: z.literal('stripe_connection'),
    connected: z.boolean().describe('true while the connection is in use (connected or needs_reauth)'),
    id: z.string().nullable(),
    status: z.enum(['connected', 'needs_reauth', 'disconnected']).nullable(),
    method: z.enum(['oauth', 'api_key']).nullable(),
    account_id: z.string().nullable().describe('The Stripe account (acct_…)'),
    connected_by: z.string().nullable(),
    connected_at: isoTimestamp.nullable(),
    disconnected_at: isoTimestamp.nullable(),
    last_verified_at: isoTimestamp.nullable(),
    last_error: z.string().nullable(),
    webhook_endpoint_registered: z.boolean(),
    settings: z
      .object({
        send_invoices_by_email: z
          .boolean()
          .describe('Stripe also emails each invoice pushed to it to the customer (default false)'),
      })
      .describe('What the tenant chose for this connection (PATCH /integrations/stripe/settings)'),
    oauth_available: z.boolean().describe('Stripe Connect OAuth is configured on this server'),
  })
  .meta({ id: 'StripeConnection' });

function connectionJson(connection: Connection | undefined, stripe: StripeIntegration) {
  const live = connection !== undefined && connection.status !== 'disconnected';
  return {
    object: 'stripe_connection' as const,
    connected: live,
    id: connection?.id ?? null,
    status: connection?.status ?? null,
    method: connection?.method ?? null,
    account_id: connection?.externalAccountId ?? null,
    connected_by: connection?.connectedBy ?? null,
    connected_at: isoOrNull(connection?.connectedAt),
    disconnected_at: isoOrNull(connection?.disconnectedAt),
    last_verified_at: isoOrNull(connection?.lastVerifiedAt),
    last_error: connection?.lastError ?? null,
    webhook_endpoint_registered: live && connection.webhookEndpointId !== null,
    settings: { send_invoices_by_email: connection?.settings.send_invoices_by_email === true },
    oauth_available: Boolean(stripe.settings.clientId && stripe.settings.platformSecretKey),
  };
}

export interface StripeRouteOptions {
  readonly db: Db;
  readonly stripe: StripeIntegration;
}

export const stripeIntegrationRoutes: FastifyPluginAsyncZod<StripeRouteOptions> = async (
  app,
  { db, stripe },
) => {
  const ctx = { db, stripe };

  app.get(
    '/integrations/stripe',
    {
      schema: {
        tags: integrationTags,
        summary: 'Stripe connection status',
        response: { 200: stripeConnectionSchema, ...integrationErrors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      return connectionJson(await getCurrentConnection(db, tenantId, 'stripe'), stripe);
    },
  );

  app.post(
    '/integrations/stripe/api-key',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Connect one Stripe account with a secret (sk_) or restricted (rk_) key',
        body: z
          .object({
            secret_key: z
              .string()
              .regex(SECRET_KEY_PATTERN, 'must be a Stripe secret (sk_…) or restricted (rk_…) key'),
          })
          .strict(),
        response: { 201: stripeConnectionSchema, ...integrationErrors },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      const connection = await connectWithApiKey(ctx, principal, request.body.secret_key);
      return reply.status(201).send(connectionJson(connection, stripe));
    },
  );

  app.post(
    '/integrations/stripe/oauth/start',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Start Stripe Connect OAuth: open authorize_url in the browser',
        response: {
          200: oauthStartResponse,
          ...integrationErrors,
        },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      const { authorizeUrl, expiresAt } = await startOAuth(ctx, principal);
      return { authorize_url: authorizeUrl, expires_at: expiresAt.toISOString() };
    },
  );

  app.get(
    '/integrations/stripe/oauth/callback',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Where Stripe sends the browser back: exchanges the code and stores the connection',
        // Not strict: Stripe adds parameters of its own (scope) to the redirect.
        querystring: z.object({
          state: z.string().min(1).max(200),
          code: z.string().min(1).max(500).optional(),
          error: z.string().max(200).optional(),
          error_description: z.string().max(1000).optional(),
        }),
        response: { 201: stripeConnectionSchema, ...integrationErrors },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      const { state, code, error, error_description: errorDescription } = request.query;
      const connection = await completeOAuth(ctx, principal, { state, code, error, errorDescription });
      return reply.status(201).send(connectionJson(connection, stripe));
    },
  );

  app.post(
    '/integrations/stripe/verify',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Check the stored credentials against Stripe now',
        response: { 200: stripeConnectionSchema, ...integrationErrors },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      return connectionJson(await verifyConnection(ctx, principal), stripe);
    },
  );

  app.patch(
    '/integrations/stripe/settings',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Change the connection’s settings (send_invoices_by_email)',
        body: z
          .object({
            send_invoices_by_email: z
              .boolean()
              .optional()
              .describe('true: Stripe emails each pushed invoice to the customer after finalizing it'),
          })
          .strict(),
        response: { 200: stripeConnectionSchema, ...integrationErrors },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      return connectionJson(await updateSettings(ctx, principal, request.body), stripe);
    },
  );

  app.delete(
    '/integrations/stripe',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Disconnect Stripe: deauthorize, wipe credentials, keep the history',
        response: { 200: stripeConnectionSchema, ...integrationErrors },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      return connectionJson(await disconnect(ctx, principal), stripe);
    },
  );
};
