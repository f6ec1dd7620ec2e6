import { fromCents, toCents } from '../kernel/amounts.js';
import { faults } from '../kernel/faults.js';
import {
  assertMaxLength,
  bool,
  type EntityHandler,
  type Json,
  namedRef,
  resolveRef,
  sameName,
  text,
  type WriteContext,
} from './context.js';

/**
 * The name lists: Customer, Item, Account. Names are unique within their list (6240, inactive
 * ones included); nothing is deleted — `Active: false` is how QuickBooks removes them.
 */
function assertUniqueName(
  ctx: WriteContext,
  entity: string,
  field: string,
  name: string,
  selfId: string | undefined,
  kind: string,
): void {
  for (const other of ctx.company.findBy(entity, field, name)) {
    if (other.Id !== selfId && sameName(other[field], name)) throw faults.duplicateName(kind);
  }
}

function currencyRef(ctx: WriteContext, requested: unknown): { value: string; name: string } {
  const code =
    (typeof requested === 'object' && requested ? (requested as { value?: string }).value : undefined) ??
    ctx.company.homeCurrency;
  if (code !== ctx.company.homeCurrency && !ctx.company.multiCurrencyEnabled) {
    throw faults.business(
      'Multicurrency is not enabled for this company; CurrencyRef must be the home currency',
      'CurrencyRef',
    );
  }
  return { value: code, name: CURRENCY_NAMES[code] ?? code };
}

export const CURRENCY_NAMES: Readonly<Record<string, string>> = {
  USD: 'United States Dollar',
  EUR: 'Euro',
  GBP: 'British Pound Sterling',
  CAD: 'Canadian Dollar',
  AUD: 'Australian Dollar',
  CHF: 'Swiss Franc',
  JPY: 'Japanese Yen',
  MXN: 'Mexican Peso',
};

export function currencyRefFor(code: string): { value: string; name: string } {
  return { value: code, name: CURRENCY_NAMES[code] ?? code };
}

export const customerHandler: EntityHandler = {
  entity: 'Customer',
  creatable: true,
  deletable: false,
  voidable: false,
  readOnly: ['Balance', 'BalanceWithJobs', 'FullyQualifiedName', 'Level', 'V4IDPseudonym'],
  prepare(ctx, input, existing) {
    const personal = [input.Title, input.GivenName, input.MiddleName, input.FamilyName, input.Suffix]
      .filter((part): part is string => typeof part === 'string' && part.trim() !== '')
      .join(' ');
    const displayName = text(input.DisplayName)?.trim() || personal || text(input.CompanyName)?.trim();
    if (!displayName) throw faults.missing('DisplayName');
    assertMaxLength(displayName, 'DisplayName', 500);
    assertUniqueName(
      ctx,
      'Customer',
      'DisplayName',
      displayName,
      existing?.Id,
      'customer, vendor or employee',
    );
    if (
      existing?.CurrencyRef &&
      input.CurrencyRef &&
      (existing.CurrencyRef as Json).value !== (input.CurrencyRef as Json).value
    ) {
      throw faults.business('You can not change the currency of a customer with transactions', 'CurrencyRef');
    }
    let parent: Json | undefined;
    if (input.ParentRef) parent = resolveRef(ctx, 'Customer', input.ParentRef, 'ParentRef');
    const object: Json = {
      Taxable: false,
      Job: Boolean(parent),
      BillWithParent: false,
      PreferredDeliveryMethod: 'Print',
      ...input,
      DisplayName: displayName,
      FullyQualifiedName: parent ? `${String(parent.FullyQualifiedName)}:${displayName}` : displayName,
      PrintOnCheckName: text(input.PrintOnCheckName) ?? text(input.CompanyName) ?? displayName,
      Active: bool(input.Active, true),
      Balance: existing?.Balance ?? 0,
      BalanceWithJobs: existing?.BalanceWithJobs ?? 0,
      CurrencyRef: currencyRef(ctx, input.CurrencyRef ?? existing?.CurrencyRef),
    };
    if (parent) object.Level = Number(parent.Level ?? 0) + 1;
    // Making a customer inactive is QuickBooks' "delete", refused while the customer still owes or is
    // owed anything (open invoices, unapplied credits or payments).
    const deactivating = existing !== undefined && existing.Active !== false && object.Active === false;
    if (deactivating && toCents(existing.Balance ?? 0, 'Balance') !== 0) throw faults.deleteHasBalance();
    return { object };
  },
};

const ITEM_TYPES = new Set(['Service', 'NonInventory', 'Inventory', 'Category', 'Group']);

export const itemHandler: EntityHandler = {
  entity: 'Item',
  creatable: true,
  deletable: false,
  voidable: false,
  readOnly: ['FullyQualifiedName', 'Level'],
  prepare(ctx, input, existing) {
    const name = text(input.Name)?.trim();
    if (!name) throw faults.missing('Name');
    assertMaxLength(name, 'Name', 100);
    assertUniqueName(ctx, 'Item', 'Name', name, existing?.Id, 'product or service');
    const type = text(input.Type) ?? 'Service';
    if (!ITEM_TYPES.has(type)) throw faults.business(`Invalid Item Type: ${type}`, 'Type');
    const object: Json = {
      ...input,
      Name: name,
      FullyQualifiedName: name,
      Type: type,
      Active: bool(input.Active, true),
    };
    const account = (field: string, types: readonly string[]) => {
      if (input[field] === undefined || input[field] === null) throw faults.missing(field);
      const found = resolveRef(ctx, 'Account', input[field], field);
      if (!types.includes(String(found.AccountType))) {
        throw faults.business(`${field} must reference an account of type ${types.join(' or ')}`, field);
      }
      object[field] = namedRef(found);
    };
    if (type === 'Service' || type === 'NonInventory' || type === 'Inventory') {
      account('IncomeAccountRef', ['Income', 'Other Income']);
    }
    if (type === 'Inventory') {
      account('AssetAccountRef', ['Other Current Asset']);
      account('ExpenseAccountRef', ['Cost of Goods Sold']);
      if (input.QtyOnHand === undefined) throw faults.missing('QtyOnHand');
      if (input.InvStartDate === undefined) throw faults.missing('InvStartDate');
      object.TrackQtyOnHand = true;
    } else if (input.ExpenseAccountRef) {
      object.ExpenseAccountRef = namedRef(
        resolveRef(ctx, 'Account', input.ExpenseAccountRef, 'ExpenseAccountRef'),
      );
    }
    if (input.UnitPrice !== undefined) object.UnitPrice = fromCents(toCents(input.UnitPrice, 'UnitPrice'));
    object.Taxable = bool(input.Taxable, false);
    return { object };
  },
};

const CLASSIFICATIONS: Readonly<Record<string, string>> = {
  Bank: 'Asset',
  'Other Current Asset': 'Asset',
  'Fixed Asset': 'Asset',
  'Other Asset': 'Asset',
  'Accounts Receivable': 'Asset',
  Equity: 'Equity',
  Expense: 'Expense',
  'Other Expense': 'Expense',
  'Cost of Goods Sold': 'Expense',
  'Accounts Payable': 'Liability',
  'Credit Card': 'Liability',
  'Long Term Liability': 'Liability',
  'Other Current Liability': 'Liability',
  Income: 'Revenue',
  'Other Income': 'Revenue',
};

export const accountHandler: EntityHandler = {
  entity: 'Account',
  creatable: true,
  deletable: false,
  voidable: false,
  readOnly: ['FullyQualifiedName', 'Classification', 'CurrentBalance', 'CurrentBalanceWithSubAccounts'],
  prepare(ctx, input, existing) {
    const name = text(input.Name)?.trim();
    if (!name) throw faults.missing('Name');
    if (/[:"]/.test(name))
      throw faults.business('Account name cannot contain a colon or double quote', 'Name');
    assertMaxLength(name, 'Name', 100);
    assertUniqueName(ctx, 'Account', 'Name', name, existing?.Id, 'account');
    const type = text(input.AccountType);
    if (!type) throw faults.missing('AccountType');
    const classification = CLASSIFICATIONS[type];
    if (!classification) throw faults.business(`Invalid AccountType: ${type}`, 'AccountType');
    const object: Json = {
      SubAccount: false,
      ...input,
      Name: name,
      FullyQualifiedName: name,
      Active: bool(input.Active, true),
      Classification: classification,
      AccountType: type,
      CurrentBalance: existing?.CurrentBalance ?? 0,
      CurrentBalanceWithSubAccounts: existing?.CurrentBalanceWithSubAccounts ?? 0,
      CurrencyRef: currencyRef(ctx, input.CurrencyRef ?? existing?.CurrencyRef),
    };
    return { object };
  },
};
