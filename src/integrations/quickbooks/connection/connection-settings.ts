import { z } from 'zod';
import type { Connection } from '../../../store/repositories/integration-connections.js';
import type { QuickBooksConnectionSettings } from '../types.js';

/** What a connection starts with: import and sync on, deposits off (manual reconciliation). */
export const DEFAULT_CONNECTION_SETTINGS: QuickBooksConnectionSettings = {
  contacts_import: true,
  invoices_push: true,
  invoices_pull: true,
  invoice_scope: 'new_only',
  create_deposits: false,
  deposit_account_id: null,
  fee_account_id: null,
  income_account_id: null,
  tax_code_map: {},
};

/** A QuickBooks entity Id: digits in practice; bounded so nothing odd reaches a query. */
const qboId = z.string().regex(/^[0-9A-Za-z-]{1,40}$/, 'must be a QuickBooks Id');
const accountId = qboId.nullable();

/** Each field alone; the PATCH body is any subset of them. */
export const connectionSettingsFields = {
  contacts_import: z.boolean().describe('Import QuickBooks customers as contacts (default true)'),
  invoices_push: z.boolean().describe('Push ledgerbridge invoices, payments and refunds (default true)'),
  invoices_pull: z.boolean().describe('Pull invoices created or changed in QuickBooks (default true)'),
  invoice_scope: z
    .enum(['new_only', 'backfill'])
    .describe("'new_only': invoices created after connecting; 'backfill': existing ones too"),
  create_deposits: z.boolean().describe('Turn Stripe payouts into QuickBooks Deposits (default false)'),
  deposit_account_id: accountId.describe('Bank Account Id deposits go to; required with create_deposits'),
  fee_account_id: accountId.describe('Expense Account Id for Stripe fees; required with create_deposits'),
  income_account_id: accountId.describe("Income Account Id for Service items; null: the company's first"),
  tax_code_map: z
    .record(z.string().min(1).max(100), qboId)
    .refine((map) => Object.keys(map).length <= 500, 'at most 500 entries')
    .describe('ledgerbridge tax rate id → QuickBooks TaxCode Id'),
};

export const connectionSettingsSchema = z
  .object(connectionSettingsFields)
  .meta({ id: 'QuickBooksConnectionSettings' });
export const connectionSettingsPatchSchema = z.object(connectionSettingsFields).partial().strict();
export type ConnectionSettingsPatch = z.infer<typeof connectionSettingsPatchSchema>;

/**
 * The connection's settings with every default applied. Stored values that no longer parse (an
 * older shape, a hand edit) fall back to the default field by field instead of failing the sync.
 */
export function readConnectionSettings(
  connection: Pick<Connection, 'settings'>,
): QuickBooksConnectionSettings {
  const stored = connection.settings;
  const read = <K extends keyof QuickBooksConnectionSettings>(key: K): QuickBooksConnectionSettings[K] => {
    const parsed = connectionSettingsFields[key].safeParse(stored[key]);
    return parsed.success
      ? (parsed.data as QuickBooksConnectionSettings[K])
      : DEFAULT_CONNECTION_SETTINGS[key];
  };
  return {
    contacts_import: read('contacts_import'),
    invoices_push: read('invoices_push'),
    invoices_pull: read('invoices_pull'),
    invoice_scope: read('invoice_scope'),
    create_deposits: read('create_deposits'),
    deposit_account_id: read('deposit_account_id'),
    fee_account_id: read('fee_account_id'),
    income_account_id: read('income_account_id'),
    tax_code_map: read('tax_code_map'),
  };
}
