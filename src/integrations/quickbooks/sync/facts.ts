import { PermanentJobError } from '../../../jobs/errors.js';
import type { QboObject } from '../types.js';
import { type QboSyncContext, qbo, quote, requestIdFor } from './context.js';
import { mergeRealmFacts, readRealmFacts } from './store.js';

/**
 * What the push needs to know about a QuickBooks company, read once and kept in
 * quickbooks_realm_facts rather than asked for on every invoice: the home currency, whether
 * multi-currency is on, the first Income account, the Undeposited Funds account, and the generic
 * items made for lines without a service and for standalone payments. Preferences are re-read daily.
 */
const PREFERENCES_MAX_AGE_MS = 24 * 60 * 60 * 1000;

interface Facts {
  home_currency?: string;
  multi_currency?: boolean;
  income_account_id?: string;
  undeposited_funds_account_id?: string;
  /** `item:<key>` → the Id of a generic item (one key each, so concurrent jobs never overwrite). */
  [item: `item:${string}`]: string | undefined;
}

type Loaded = { facts: Facts; refreshedAt: Date | undefined };

/** Read once per job (a job asks several times), forgotten when the job learns something new. */
const perJob = new WeakMap<QboSyncContext, Promise<Loaded>>();

function load(ctx: QboSyncContext): Promise<Loaded> {
  let loaded = perJob.get(ctx);
  if (!loaded) {
    loaded = readRealmFacts(ctx.db, ctx.tenantId, ctx.realmId).then((stored) => ({
      facts: (stored?.data ?? {}) as Facts,
      refreshedAt: stored?.refreshedAt,
    }));
    perJob.set(ctx, loaded);
  }
  return loaded;
}

async function remember(
  ctx: QboSyncContext,
  patch: Record<string, unknown>,
  refreshed = false,
): Promise<void> {
  perJob.delete(ctx);
  await mergeRealmFacts(ctx.db, ctx.tenantId, ctx.realmId, patch, refreshed);
}

export interface CurrencyFacts {
  readonly home: string;
  readonly multiCurrency: boolean;
}

export async function currencyFacts(ctx: QboSyncContext): Promise<CurrencyFacts> {
  const { facts, refreshedAt } = await load(ctx);
  const fresh = refreshedAt !== undefined && Date.now() - refreshedAt.getTime() < PREFERENCES_MAX_AGE_MS;
  if (fresh && facts.home_currency !== undefined) {
    return { home: facts.home_currency, multiCurrency: facts.multi_currency === true };
  }
  const [preferences] = await qbo('read the QuickBooks company preferences', () =>
    ctx.client.query('SELECT * FROM Preferences'),
  );
  const prefs = (preferences?.CurrencyPrefs ?? {}) as {
    HomeCurrency?: { value?: string };
    MultiCurrencyEnabled?: boolean;
  };
  const home = prefs.HomeCurrency?.value ?? 'USD';
  const multiCurrency = prefs.MultiCurrencyEnabled === true;
  await remember(ctx, { home_currency: home, multi_currency: multiCurrency }, true);
  return { home, multiCurrency };
}

/** settings.income_account_id, else the company's first active Income account. */
export async function incomeAccountId(ctx: QboSyncContext): Promise<string> {
  if (ctx.settings.income_account_id !== null) return ctx.settings.income_account_id;
  const { facts } = await load(ctx);
  if (facts.income_account_id !== undefined) return facts.income_account_id;
  const accounts = await qbo('look up the QuickBooks Income accounts', () =>
    ctx.client.query("SELECT * FROM Account WHERE AccountType = 'Income' AND Active = true ORDERBY Id"),
  );
  const first = accounts.sort((a, b) => Number(a.Id) - Number(b.Id))[0]?.Id;
  if (first === undefined) {
    throw new PermanentJobError(
      'QuickBooks has no active Income account for service items; create one or set income_account_id',
    );
  }
  await remember(ctx, { income_account_id: first });
  return first;
}

/** The Undeposited Funds account: where Stripe money waits until a Deposit moves it to the bank. */
export async function undepositedFundsAccountId(ctx: QboSyncContext): Promise<string> {
  const { facts } = await load(ctx);
  if (facts.undeposited_funds_account_id !== undefined) return facts.undeposited_funds_account_id;
  const accounts = await qbo('look up the QuickBooks Undeposited Funds account', () =>
    ctx.client.query("SELECT * FROM Account WHERE AccountType = 'Other Current Asset'"),
  );
  const found =
    accounts.find((a) => a.AccountSubType === 'UndepositedFunds') ??
    accounts.find((a) => a.Name === 'Undeposited Funds');
  if (found?.Id === undefined) {
    throw new PermanentJobError('QuickBooks has no Undeposited Funds account');
  }
  await remember(ctx, { undeposited_funds_account_id: found.Id });
  return found.Id;
}

/**
 * A Service item of ours that is not a ledgerbridge service: `line` for invoice lines without a
 * service, or a payment purpose (`subscription`, `order_form`…) for standalone sales. Found by name
 * (one made earlier, by us or a previous attempt) or created once.
 */
export async function genericItemId(ctx: QboSyncContext, key: string, name: string): Promise<string> {
  const { facts } = await load(ctx);
  const known = facts[`item:${key}`];
  if (known !== undefined) return known;
  const [existing] = await qbo(`look up the QuickBooks item ${name}`, () =>
    ctx.client.query(`SELECT * FROM Item WHERE Name = ${quote(name)}`),
  );
  const item: QboObject =
    existing ??
    (await qbo(`create the QuickBooks item ${name}`, async () =>
      ctx.client.create(
        'Item',
        {
          Name: name,
          Type: 'Service',
          IncomeAccountRef: { value: await incomeAccountId(ctx) },
          Description: 'Made by ledgerbridge',
        },
        { requestId: requestIdFor(ctx, ctx.realmId, 'item', key) },
      ),
    ));
  if (item.Id === undefined) throw new PermanentJobError(`QuickBooks returned item ${name} without an Id`);
  await remember(ctx, { [`item:${key}`]: item.Id });
  return item.Id;
}
