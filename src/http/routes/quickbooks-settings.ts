import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listAccounts, listTaxCodes } from '../../integrations/quickbooks/client/accounts.js';
import {
  connectionSettingsPatchSchema,
  connectionSettingsSchema,
  readConnectionSettings,
} from '../../integrations/quickbooks/connection/connection-settings.js';
import { quickbooksAppError, requireLive } from '../../integrations/quickbooks/connection/manage.js';
import { openQboSession } from '../../integrations/quickbooks/connection/session.js';
import { updateQuickBooksSettings } from '../../integrations/quickbooks/connection/settings-update.js';
import type { QboClient, QboObject, QuickBooksIntegration } from '../../integrations/quickbooks/types.js';
import type { Db } from '../../store/db.js';
import { requirePrincipal } from '../auth.js';
import { integrationErrors, integrationTags, manageIntegrations } from './integration-schemas.js';

const accountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    account_type: z.string(),
    account_sub_type: z.string().nullable(),
    currency: z.string().nullable(),
  })
  .meta({ id: 'QuickBooksAccount' });

const taxCodeSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    taxable: z.boolean().nullable(),
  })
  .meta({ id: 'QuickBooksTaxCode' });

const text = (value: unknown) => (typeof value === 'string' ? value : null);
const currencyOf = (object: QboObject) =>
  text((object.CurrencyRef as { value?: unknown } | undefined)?.value);

export interface QuickBooksSettingsRouteOptions {
  readonly db: Db;
  readonly quickbooks: QuickBooksIntegration;
}

/** The connection's settings, and what they can refer to in the company (accounts, tax codes). */
export const quickbooksSettingsRoutes: FastifyPluginAsyncZod<QuickBooksSettingsRouteOptions> = async (
  app,
  { db, quickbooks },
) => {
  const deps = { db, quickbooks };
  /** A live connection's client, with QuickBooks failures answered as HTTP errors. */
  const withClient = async <T>(tenantId: string, fn: (client: QboClient) => Promise<T>): Promise<T> => {
    await requireLive(deps, tenantId);
    try {
      return await fn((await openQboSession(deps, tenantId)).client);
    } catch (error) {
      throw quickbooksAppError(error);
    }
  };

  app.get(
    '/integrations/quickbooks/settings',
    {
      schema: {
        tags: integrationTags,
        summary: 'The QuickBooks connection’s settings, defaults applied',
        response: { 200: connectionSettingsSchema, ...integrationErrors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'read');
      return readConnectionSettings(await requireLive(deps, tenantId));
    },
  );

  app.patch(
    '/integrations/quickbooks/settings',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary:
          'Change the QuickBooks connection’s settings; accounts and tax codes are checked in QuickBooks',
        body: connectionSettingsPatchSchema,
        response: { 200: connectionSettingsSchema, ...integrationErrors },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request, 'manage_integrations');
      return readConnectionSettings(await updateQuickBooksSettings(deps, principal, request.body));
    },
  );

  app.get(
    '/integrations/quickbooks/accounts',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Active QuickBooks accounts of one type, for the deposit, fee and income settings',
        querystring: z.object({ type: z.enum(['Bank', 'Income', 'Expense']) }).strict(),
        response: {
          200: z.object({ object: z.literal('list'), data: z.array(accountSchema) }),
          ...integrationErrors,
        },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'manage_integrations');
      const accounts = await withClient(tenantId, (client) => listAccounts(client, request.query.type));
      return {
        object: 'list' as const,
        data: accounts.map((account) => ({
          id: String(account.Id),
          name: text(account.Name) ?? String(account.Id),
          account_type: text(account.AccountType) ?? request.query.type,
          account_sub_type: text(account.AccountSubType),
          currency: currencyOf(account),
        })),
      };
    },
  );

  app.get(
    '/integrations/quickbooks/tax-codes',
    {
      config: manageIntegrations,
      schema: {
        tags: integrationTags,
        summary: 'Active QuickBooks tax codes, for tax_code_map',
        response: {
          200: z.object({ object: z.literal('list'), data: z.array(taxCodeSchema) }),
          ...integrationErrors,
        },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'manage_integrations');
      const codes = await withClient(tenantId, (client) => listTaxCodes(client));
      return {
        object: 'list' as const,
        data: codes.map((code) => ({
          id: String(code.Id),
          name: text(code.Name) ?? String(code.Id),
          description: text(code.Description),
          taxable: typeof code.Taxable === 'boolean' ? code.Taxable : null,
        })),
      };
    },
  );
};
