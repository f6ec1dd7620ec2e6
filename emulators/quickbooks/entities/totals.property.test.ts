import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { performWrite } from '../api/operations.js';
import { toCents } from '../kernel/amounts.js';
import { DEFAULT_TAX_PERCENT } from '../kernel/seed.js';
import { QboState } from '../kernel/state.js';

/**
 * For any invoice, QuickBooks' arithmetic holds to the cent: TotalAmt = Σ line amounts − discount +
 * tax, with tax the given TotalTax or 8.5 % of the taxable lines rounded half-up. The expectation is
 * computed here in integer cents, independently of the emulator's decimal code.
 */
const halfUp = (numerator: number, denominator: number) =>
  Math.floor((numerator * 2 + denominator) / (denominator * 2));

const lineArbitrary = fc.record({
  qtyHundredths: fc.integer({ min: 1, max: 10_000 }),
  priceCents: fc.integer({ min: 0, max: 500_000 }),
  taxable: fc.boolean(),
});

const invoiceArbitrary = fc.record({
  lines: fc.array(lineArbitrary, { minLength: 1, maxLength: 8 }),
  discount: fc.option(
    fc.oneof(
      fc.record({ percentHundredths: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({ fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
    ),
    { nil: undefined },
  ),
  explicitTaxCents: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
});

describe('invoice totals (property)', () => {
  const state = new QboState();
  const company = state.createCompany();
  const customer = performWrite(state, company, {
    entity: 'Customer',
    operation: 'save',
    body: { DisplayName: 'Property Buyer' },
  }).Customer as { Id: string };
  const taxRate = Math.round(DEFAULT_TAX_PERCENT * 100); // hundredths of a percent

  it('TotalAmt = Σ lines − discount + tax, Balance = TotalAmt, in cents', () => {
    fc.assert(
      fc.property(invoiceArbitrary, ({ lines, discount, explicitTaxCents }) => {
        const amounts = lines.map((line) => halfUp(line.qtyHundredths * line.priceCents, 100));
        const subtotal = amounts.reduce((sum, cents) => sum + cents, 0);
        const taxable = amounts
          .filter((_, index) => lines[index]?.taxable)
          .reduce((sum, cents) => sum + cents, 0);
        let discountCents = 0;
        const body: Record<string, unknown> = {
          CustomerRef: { value: customer.Id },
          Line: lines.map((line, index) => ({
            Amount: (amounts[index] ?? 0) / 100,
            DetailType: 'SalesItemLineDetail',
            SalesItemLineDetail: {
              Qty: line.qtyHundredths / 100,
              UnitPrice: line.priceCents / 100,
              TaxCodeRef: { value: line.taxable ? 'TAX' : 'NON' },
            },
          })),
        };
        const lineList = body.Line as unknown[];
        if (discount && 'percentHundredths' in discount) {
          discountCents = halfUp(subtotal * discount.percentHundredths, 10_000);
          lineList.push({
            Amount: 0,
            DetailType: 'DiscountLineDetail',
            DiscountLineDetail: { PercentBased: true, DiscountPercent: discount.percentHundredths / 100 },
          });
        } else if (discount) {
          discountCents = Math.floor(subtotal * discount.fraction);
          lineList.push({
            Amount: discountCents / 100,
            DetailType: 'DiscountLineDetail',
            DiscountLineDetail: { PercentBased: false },
          });
        }
        if (explicitTaxCents !== undefined) body.TxnTaxDetail = { TotalTax: explicitTaxCents / 100 };
        const taxCents = explicitTaxCents ?? halfUp(taxable * taxRate, 10_000);

        const invoice = performWrite(state, company, {
          entity: 'Invoice',
          operation: 'save',
          body,
          allowDuplicateDocNumber: true,
        }).Invoice as Record<string, unknown>;
        const total = toCents(invoice.TotalAmt, 'TotalAmt');
        expect(total).toBe(subtotal - discountCents + taxCents);
        expect(toCents((invoice.TxnTaxDetail as { TotalTax: unknown }).TotalTax, 'TotalTax')).toBe(taxCents);
        expect(toCents(invoice.Balance, 'Balance')).toBe(total);
        const subtotalLine = (invoice.Line as { DetailType: string; Amount: number }[]).find(
          (line) => line.DetailType === 'SubTotalLineDetail',
        );
        expect(toCents(subtotalLine?.Amount, 'Amount')).toBe(subtotal);
      }),
      { numRuns: 300 },
    );
  });
});
