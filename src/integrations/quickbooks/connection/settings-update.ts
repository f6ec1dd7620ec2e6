import type { Principal } from '../../../access/repository.js';
import { invalidField } from '../../../http/errors.js';
import {
  type Connection,
  updateConnectionSettings,
} from '../../../store/repositories/integration-connections.js';
import type { QboAccountType } from '../client/accounts.js';
import type { QboClient, QuickBooksConnectionSettings } from '../types.js';
import { type ConnectionSettingsPatch, readConnectionSettings } from './connection-settings.js';
import { quickbooksAppError, requireLive } from './manage.js';
import { openQboSession, type QboDeps } from './session.js';
import { enqueueQboBackfill } from '../sync/enqueue.js';

/** Which AccountType each account setting must name. */
const ACCOUNT_FIELDS = {
  deposit_account_id: 'Bank',
  fee_account_id: 'Expense',
  income_account_id: 'Income',
} as const satisfies Partial<Record<keyof QuickBooksConnectionSettings, QboAccountType>>;

/**
 * PATCH …/settings: merges the patch into the stored settings after checking it against the company.
 * Only what the patch names is checked in QuickBooks (an account deleted there since it was chosen
 * does not block changing something else); turning deposits on needs both deposit accounts set.
 */
export async function updateQuickBooksSettings(
  deps: QboDeps,
  principal: Principal,
  patch: ConnectionSettingsPatch,
): Promise<Connection> {
  const connection = await requireLive(deps, principal.tenantId);
  const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  const merged = { ...readConnectionSettings(connection), ...changes } as QuickBooksConnectionSettings;
  if (merged.create_deposits) {
    for (const field of ['deposit_account_id', 'fee_account_id'] as const) {
      if (merged[field] === null) throw invalidField(field, 'required while create_deposits is true');
    }
  }
  const toCheck = (Object.keys(ACCOUNT_FIELDS) as (keyof typeof ACCOUNT_FIELDS)[]).filter(
    (field) =>
      merged[field] !== null &&
      (field in changes || (patch.create_deposits === true && field !== 'income_account_id')),
  );
  const taxCodes = Object.values(patch.tax_code_map ?? {});
  if (toCheck.length > 0 || taxCodes.length > 0) {
    try {
      const { client } = await openQboSession(deps, principal.tenantId);
      for (const field of toCheck)
        await checkAccount(client, field, merged[field] as string, ACCOUNT_FIELDS[field]);
      if (taxCodes.length > 0) await checkTaxCodes(client, taxCodes);
    } catch (error) {
      throw quickbooksAppError(error);
    }
  }
  if (Object.keys(changes).length === 0) return connection;
  // tax_code_map is replaced whole (jsonb `||` merges only the top level), which is what a PATCH of it means.
  return deps.db.transaction(async (tx) => {
    const updated = await updateConnectionSettings(tx, connection, changes);
    // Choosing backfill pushes the invoices sent before; the job's dedupe key makes it once per connection.
    if (changes.invoice_scope === 'backfill') await enqueueQboBackfill(tx, principal.tenantId);
    return updated;
  });
}

async function checkAccount(
  client: QboClient,
  field: string,
  id: string,
  type: QboAccountType,
): Promise<void> {
  const account = await client.read('Account', id);
  if (!account) throw invalidField(field, `QuickBooks has no account ${id}`);
  const name = typeof account.Name === 'string' ? account.Name : id;
  if (account.Active === false) throw invalidField(field, `QuickBooks account ${id} (${name}) is inactive`);
  if (account.AccountType !== type) {
    throw invalidField(
      field,
      `QuickBooks account ${id} (${name}) is of type ${String(account.AccountType)}; it must be ${type}`,
    );
  }
}

async function checkTaxCodes(client: QboClient, ids: readonly string[]): Promise<void> {
  const known = new Set((await client.query('SELECT * FROM TaxCode MAXRESULTS 1000')).map((code) => code.Id));
  const missing = [...new Set(ids)].filter((id) => !known.has(id));
  if (missing.length > 0)
    throw invalidField('tax_code_map', `QuickBooks has no tax code ${missing.join(', ')}`);
}
