import { parseDecimal } from '../kernel/amounts.js';
import { qboTimestamp } from '../kernel/clock.js';
import type { Company, QboObject } from '../kernel/company.js';
import { faults } from '../kernel/faults.js';
import type { QboState } from '../kernel/state.js';
import { type Json, refId, sameName, text } from './context.js';

/**
 * `POST /taxservice/taxcode`, QuickBooks' way to add sales tax: a TaxCode grouping new rates
 * (`TaxRateName` + `RateValue`) or existing ones (`TaxRateId`). Answers `{"TaxService":{…}}` with the
 * Ids it made. TaxCode and TaxRate themselves stay read-only in the accounting API.
 */
export function createTaxCode(state: QboState, company: Company, body: unknown): Json {
  const request = (body ?? {}) as Json;
  const name = text(request.TaxCode)?.trim();
  if (!name) throw faults.missing('TaxCode');
  if (company.all('TaxCode').some((code) => sameName(code.Name, name)))
    throw faults.duplicateName('tax code');
  const details = request.TaxRateDetails;
  if (!Array.isArray(details) || details.length === 0) throw faults.missing('TaxRateDetails');

  const stamp = qboTimestamp(state.clock.now());
  const stored = (fields: Json): QboObject => ({
    domain: 'QBO',
    sparse: false,
    Id: company.nextId(),
    SyncToken: '0',
    MetaData: { CreateTime: stamp, LastUpdatedTime: stamp },
    ...fields,
  });
  const newRates: QboObject[] = [];
  const rates = (details as Json[]).map((detail) => {
    const existingId = refId(detail.TaxRateId);
    if (existingId !== undefined) {
      const rate = company.get('TaxRate', existingId);
      if (!rate) throw faults.invalidReference('TaxRateDetails.TaxRateId');
      return rate;
    }
    const rateName = text(detail.TaxRateName)?.trim();
    if (!rateName) throw faults.missing('TaxRateDetails.TaxRateName');
    if (detail.RateValue === undefined) throw faults.missing('TaxRateDetails.RateValue');
    const value = parseDecimal(detail.RateValue, 'TaxRateDetails.RateValue');
    if (value.isNegative() || value.greaterThan(100)) {
      throw faults.business('RateValue must be between 0 and 100', 'TaxRateDetails.RateValue');
    }
    const rate = stored({
      Name: rateName,
      Description: rateName,
      Active: true,
      RateValue: value.toNumber(),
      AgencyRef: { value: refId(detail.TaxAgencyId) ?? '1' },
      SpecialTaxType: 'NONE',
      DisplayType: 'ReadOnly',
    });
    newRates.push(rate);
    return rate;
  });
  const code = stored({
    Name: name,
    Description: name,
    Active: true,
    Taxable: true,
    TaxGroup: true,
    SalesTaxRateList: {
      TaxRateDetail: rates.map((rate, index) => ({
        TaxRateRef: { value: rate.Id, name: String(rate.Name) },
        TaxTypeApplicable: 'TaxOnAmount',
        TaxOrder: index,
      })),
    },
    PurchaseTaxRateList: { TaxRateDetail: [] },
  });
  for (const rate of newRates) {
    company.put('TaxRate', rate);
    state.publish(company, 'TaxRate', rate, 'Create');
  }
  company.put('TaxCode', code);
  state.publish(company, 'TaxCode', code, 'Create');
  return {
    TaxService: {
      TaxCode: name,
      TaxCodeId: code.Id,
      TaxRateDetails: rates.map((rate) => ({
        TaxRateName: rate.Name,
        TaxRateId: rate.Id,
        RateValue: rate.RateValue,
        TaxAgencyId: refId(rate.AgencyRef) ?? '1',
        TaxApplicableOn: 'Sales',
      })),
    },
  };
}
