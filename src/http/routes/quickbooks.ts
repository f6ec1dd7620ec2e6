import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  connectionSettingsSchema,
  readConnectionSettings,
} from '../../integrations/quickbooks/connection/connection-settings.js';
import { getCompany } from '../../integrations/quickbooks/connection/company.js';
import { disconnect, verifyConnection } from '../../integrations/quickbooks/connection/manage.js';
import { completeOAuth, startOAuth } from '../../integrations/quickbooks/connection/oauth.js';
import type { QuickBooksIntegration } from '../../integrations/quickbooks/types.js';
import type { Db } from '../../store/db.js';
import { type Connection, getCurrentConnection } from '../../store/repositories/integration-connections.js';
import { requirePrincipal } from '../auth.js';
import { isoOrNull, isoTimestamp } from '../schemas/common.js';
import { quickbooksSettingsRoutes } from './quickbooks-settings.js';
import {
  integrationErrors,
  integrationTags,
  manageIntegrations,
  oauthStartResponse,
} from './integration-schemas.js';

/** A tenant's QuickBooks connection: never a token, not even encrypted. */
export const quickbooksConnectionSchema = z
  .object({
    object: z.literal('quickbooks_connection'),
    connected: z.boolean().describe('true while the connection is in use (connected or needs_reauth)'),
    id: z.string().nullable(),
    status: z.enum(['connected', 'needs_reauth', 'disconnected']).nullable(),
    realm_id: z.string().nullable().describe('The QuickBooks company (realmId)'),
    company_name: z.string().nullable().describe('CompanyInfo.CompanyName, read at connect and verify'),
    needs_reauth: z
      .boolean()
      .describe('QuickBooks refused the stored authorization: connect again (OAuth start)'),
    reauth_reason: z.string().nullable().describe('Why, while needs_reauth'),
    connected_by: z.string().nullable(),
    connected_at: isoTimestamp.nullable(),
    disconnected_at: isoTimestamp.nullable(),
    last_verified_at: isoTimestamp.nullable(),
    last_error: z.string().nullable(),
    settings: connectionSettingsSchema.describe('PATCH /integrations/quickbooks/settings'),
    oauth_available: z.boolean().describe('QuickBooks OAuth is configured on this server'),
  })
  .meta({ id: 'QuickBooksConnection' });

async function connectionJson(db: Db, connection: Connection | undefined, quickbooks: QuickBooksIntegration) {
  const company = connection ? await getCompany(db, connection) : undefined;
  const needsReauth = connection?.status === 'needs_reauth';
  const { clientId, clientSecret, publicUrl } = quickbooks.settings;
  return {
    object: 'quickbooks_connection' as const,
    connected: connection !== undefined && connection.status !== 'disconnected',
    id: connection?.id ?? null,
    status: connection?.status ?? null,
    realm_id: connection?.externalAccountId ?? null,
    company_name: company?.companyName ?? null,
    needs_reauth: needsReauth,
    reauth_reason: needsReauth ? (connection.lastError ?? 'QuickBooks refused the authorization') : null,
    connected_by: connection?.connectedBy ?? null,
    connected_at: isoOrNull(connection?.connectedAt),
    disconnected_at: isoOrNull(connection?.disconnectedAt),
    last_verified_at: isoOrNull(connection?.lastVerifiedAt),
    last_error: connection?.lastError ?? null,
    settings: readConnectionSettings(connection ?? { settings: {} }),
    oauth_available: Boolean(clientId && clientSecret && publicUrl),
  };
}

export interface QuickBooksRouteOptions {
  readonly db: Db;
  readonly quickbooks: QuickBooksIntegration;
}

/** Connecting a tenant's QuickBooks Online company, its status, verification and disconnection. */
export const quickbooksIntegrationRoutes: FastifyPluginAsyncZod<QuickBooksRouteOptions> = async (
  app,
  { db, quickbooks },
) => {
  const deps = { db, quickbooks };

  app.get(
    '/integrations/quickbooks',
    {
      schema: {
        tags: integrationTags,
        summary: 'QuickBooks connection status',
        response: { 200: quickbooksConnectionSchema, ...integrationErrors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      return connectionJson(db, await getCurrentConnection(db, tenantId, 'quickbooks'), quickbooks);
    },
  );

  app.post(
    '/integrations/quickbooks/oauth/start',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Start QuickBooks OAuth (also to re-authorize): open authorize_url in the browser',
        response: {
          200: oauthStartResponse,
          ...integrationErrors,
        },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      const { authorizeUrl, expiresAt } = await startOAuth(deps, principal);
      return { authorize_url: authorizeUrl, expires_at: expiresAt.toISOString() };
    },
  );

  app.get(
    '/integrations/quickbooks/oauth/callback',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Where Intuit sends the browser back: exchanges the code and stores the connection',
        // Not strict: Intuit may add parameters of its own to the redirect.
        querystring: z.object({
          state: z.string().min(1).max(200),
          code: z.string().min(1).max(1000).optional(),
          realmId: z
            .string()
            .regex(/^\d{1,30}$/, 'must be a QuickBooks company id')
            .optional(),
          error: z.string().max(200).optional(),
        }),
        response: { 201: quickbooksConnectionSchema, ...integrationErrors },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      const connection = await completeOAuth(deps, principal, request.query);
      return reply.status(201).send(await connectionJson(db, connection, quickbooks));
    },
  );

  app.post(
    '/integrations/quickbooks/verify',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Read CompanyInfo with the stored authorization now',
        response: { 200: quickbooksConnectionSchema, ...integrationErrors },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      return connectionJson(db, await verifyConnection(deps, principal), quickbooks);
    },
  );

  app.delete(
    '/integrations/quickbooks',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Disconnect QuickBooks: revoke at Intuit, wipe the tokens, keep the history',
        response: {
          200: quickbooksConnectionSchema.extend({
            revoked: z.boolean().describe('Intuit confirmed the revocation'),
            revoke_error: z.string().nullable().describe('Why not; disconnected here all the same'),
          }),
          ...integrationErrors,
        },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      const { connection, revokeError } = await disconnect(deps, principal);
      return {
        ...(await connectionJson(db, connection, quickbooks)),
        revoked: revokeError === null,
        revoke_error: revokeError,
      };
    },
  );

  await app.register(quickbooksSettingsRoutes, { db, quickbooks });
};
