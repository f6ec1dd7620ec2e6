import { faults } from '../kernel/faults.js';
import { type EntityHandler, type Json, text } from './context.js';

/**
 * Company-wide objects that exist once per company and are only read or updated: Preferences and
 * CompanyInfo. TaxCode and TaxRate are read-only through the accounting API (QuickBooks creates
 * them through its tax service).
 */
export const preferencesHandler: EntityHandler = {
  entity: 'Preferences',
  creatable: false,
  deletable: false,
  voidable: false,
  readOnly: [],
  prepare(_ctx, input, existing) {
    const before = (existing?.CurrencyPrefs as Json | undefined) ?? {};
    const after = (input.CurrencyPrefs as Json | undefined) ?? {};
    if (before.MultiCurrencyEnabled === true && after.MultiCurrencyEnabled !== true) {
      throw faults.business(
        'Multicurrency cannot be turned off once it is on',
        'CurrencyPrefs.MultiCurrencyEnabled',
      );
    }
    const homeBefore = (before.HomeCurrency as Json | undefined)?.value;
    const homeAfter = (after.HomeCurrency as Json | undefined)?.value;
    if (homeAfter !== undefined && homeBefore !== undefined && homeAfter !== homeBefore) {
      throw faults.business('The home currency cannot be changed', 'CurrencyPrefs.HomeCurrency');
    }
    return {
      object: {
        ...input,
        CurrencyPrefs: { ...after, HomeCurrency: after.HomeCurrency ?? before.HomeCurrency },
      },
    };
  },
};

export const companyInfoHandler: EntityHandler = {
  entity: 'CompanyInfo',
  creatable: false,
  deletable: false,
  voidable: false,
  readOnly: ['Country', 'CompanyStartDate'],
  prepare(_ctx, input) {
    if (!text(input.CompanyName)?.trim()) throw faults.missing('CompanyName');
    return { object: { ...input } };
  },
};

function readOnlyList(entity: string): EntityHandler {
  return {
    entity,
    creatable: false,
    deletable: false,
    voidable: false,
    readOnly: [],
    prepare() {
      throw faults.unsupportedOperation(
        `Operation Update is not supported for ${entity}; use the tax service.`,
      );
    },
  };
}

export const taxCodeHandler = readOnlyList('TaxCode');
export const taxRateHandler = readOnlyList('TaxRate');
