import { qboDate, qboTimestamp } from './clock.js';
import type { Company } from './company.js';
import { type QboObject } from './company.js';

/**
 * What a new sandbox company holds: CompanyInfo, Preferences, a small chart of accounts, the
 * default items, and US sales tax (codes TAX and NON plus one 8.5 % rate). Names follow QuickBooks'
 * own defaults so an integration can look them up as it would in a real sandbox.
 */
const ACCOUNTS: readonly (readonly [name: string, type: string, subType: string, classification: string])[] =
  [
    ['Checking', 'Bank', 'Checking', 'Asset'],
    ['Savings', 'Bank', 'Savings', 'Asset'],
    ['Undeposited Funds', 'Other Current Asset', 'UndepositedFunds', 'Asset'],
    ['Accounts Receivable (A/R)', 'Accounts Receivable', 'AccountsReceivable', 'Asset'],
    ['Inventory Asset', 'Other Current Asset', 'Inventory', 'Asset'],
    ['Sales Tax Payable', 'Other Current Liability', 'SalesTaxPayable', 'Liability'],
    ['Services', 'Income', 'ServiceFeeIncome', 'Revenue'],
    ['Sales of Product Income', 'Income', 'SalesOfProductIncome', 'Revenue'],
    ['Discounts given', 'Income', 'DiscountsRefundsGiven', 'Revenue'],
    ['Uncategorized Income', 'Income', 'ServiceFeeIncome', 'Revenue'],
    ['Cost of Goods Sold', 'Cost of Goods Sold', 'SuppliesMaterialsCogs', 'Expense'],
    ['Bank Charges', 'Expense', 'BankCharges', 'Expense'],
    ['Stripe Fees', 'Expense', 'BankCharges', 'Expense'],
    ['Uncategorized Expense', 'Expense', 'OtherMiscellaneousServiceCost', 'Expense'],
  ];

export const DEFAULT_TAX_PERCENT = 8.5;

export function seedCompany(company: Company, companyName: string, nowMs: number): void {
  const insert = (entity: string, fields: Record<string, unknown>, id = company.nextId()): QboObject => {
    const stamp = qboTimestamp(nowMs);
    const object: QboObject = {
      ...fields,
      domain: 'QBO',
      sparse: false,
      Id: id,
      SyncToken: '0',
      MetaData: { CreateTime: stamp, LastUpdatedTime: stamp },
    };
    company.put(entity, object);
    return object;
  };
  const usd = { value: 'USD', name: 'United States Dollar' };

  insert(
    'CompanyInfo',
    {
      CompanyName: companyName,
      LegalName: companyName,
      CompanyAddr: {
        Id: '1',
        Line1: '123 Sierra Way',
        City: 'San Pablo',
        CountrySubDivisionCode: 'CA',
        PostalCode: '87999',
      },
      CustomerCommunicationAddr: {
        Id: '1',
        Line1: '123 Sierra Way',
        City: 'San Pablo',
        CountrySubDivisionCode: 'CA',
        PostalCode: '87999',
      },
      LegalAddr: {
        Id: '1',
        Line1: '123 Sierra Way',
        City: 'San Pablo',
        CountrySubDivisionCode: 'CA',
        PostalCode: '87999',
      },
      PrimaryPhone: {},
      CompanyStartDate: qboDate(nowMs),
      FiscalYearStartMonth: 'January',
      Country: 'US',
      Email: { Address: 'noreply@quickbooks.com' },
      WebAddr: {},
      SupportedLanguages: 'en',
      NameValue: [
        { Name: 'NeoEnabled', Value: 'true' },
        { Name: 'IndustryType', Value: 'Landscaping Services' },
        { Name: 'OfferingSku', Value: 'QuickBooks Online Plus' },
      ],
    },
    '1',
  );

  const accounts = new Map<string, QboObject>();
  for (const [name, type, subType, classification] of ACCOUNTS) {
    accounts.set(
      name,
      insert('Account', {
        Name: name,
        SubAccount: false,
        FullyQualifiedName: name,
        Active: true,
        Classification: classification,
        AccountType: type,
        AccountSubType: subType,
        CurrentBalance: 0,
        CurrentBalanceWithSubAccounts: 0,
        CurrencyRef: usd,
      }),
    );
  }
  const ref = (name: string) => ({ value: accounts.get(name)?.Id ?? '', name });

  for (const [name, type, account] of [
    ['Services', 'Service', 'Services'],
    ['Sales', 'NonInventory', 'Sales of Product Income'],
  ] as const) {
    insert('Item', {
      Name: name,
      FullyQualifiedName: name,
      Active: true,
      Type: type,
      Taxable: false,
      UnitPrice: 0,
      IncomeAccountRef: ref(account),
      TrackQtyOnHand: false,
    });
  }

  const rate = insert('TaxRate', {
    Name: 'California',
    Description: 'Sales Tax',
    Active: true,
    RateValue: DEFAULT_TAX_PERCENT,
    AgencyRef: { value: '1' },
    SpecialTaxType: 'NONE',
    DisplayType: 'ReadOnly',
    EffectiveTaxRate: [{ RateValue: DEFAULT_TAX_PERCENT, EffectiveDate: '2014-01-01T00:00:00-08:00' }],
  });
  const noRates = { TaxRateDetail: [] };
  insert(
    'TaxCode',
    {
      Name: 'TAX',
      Description: 'TAX',
      Active: true,
      Taxable: true,
      TaxGroup: false,
      SalesTaxRateList: noRates,
      PurchaseTaxRateList: noRates,
    },
    'TAX',
  );
  insert(
    'TaxCode',
    {
      Name: 'NON',
      Description: 'NON',
      Active: true,
      Taxable: false,
      TaxGroup: false,
      SalesTaxRateList: noRates,
      PurchaseTaxRateList: noRates,
    },
    'NON',
  );
  const code = insert('TaxCode', {
    Name: 'California',
    Description: 'California',
    Active: true,
    Taxable: true,
    TaxGroup: true,
    SalesTaxRateList: {
      TaxRateDetail: [
        { TaxRateRef: { value: rate.Id, name: 'California' }, TaxTypeApplicable: 'TaxOnAmount', TaxOrder: 0 },
      ],
    },
    PurchaseTaxRateList: noRates,
  });

  insert(
    'Preferences',
    {
      AccountingInfoPrefs: {
        TrackDepartments: false,
        ClassTrackingPerTxn: false,
        CustomerTerminology: 'Customers',
      },
      ProductAndServicesPrefs: {
        ForSales: true,
        ForPurchase: true,
        QuantityWithPriceAndRate: true,
        QuantityOnHand: true,
      },
      SalesFormsPrefs: {
        CustomTxnNumbers: false,
        AllowDeposit: true,
        AllowDiscount: true,
        AllowShipping: false,
        AllowEstimates: true,
        DefaultTerms: { value: '3' },
        AutoApplyCredit: true,
        UsingPriceLevels: false,
      },
      CurrencyPrefs: { MultiCurrencyEnabled: false, HomeCurrency: { value: 'USD' } },
      TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: false, TaxGroupCodeRef: { value: code.Id } },
      OtherPrefs: {
        NameValue: [
          { Name: 'SalesFormsPrefs.DefaultCustomerMessage', Value: 'Thank you for your business.' },
        ],
      },
    },
    '1',
  );
}
