import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeInvoice, currencyExponent, Dec, type LineInput } from '../../../domain/index.js';
import type { InvoiceWithLines } from '../../../store/repositories/invoices.js';
import type { InvoiceLine } from '../../../store/repositories/invoices-lines.js';
import { expectedTotal, invoiceLines, type LineTargets, qtyAndPrice } from './invoice-lines.js';

const quantity = fc
  .tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 999_999 }), fc.nat(6))
  .map(([whole, fraction, digits]) =>
    digits === 0 ? String(whole || 1) : `${whole}.${String(fraction).padStart(6, '0').slice(0, digits)}`,
  )
  .filter((q) => !new Dec(q).isZero());

const rate = fc
  .tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 9999 }))
  .map(([whole, fraction]) => `${whole}.${String(fraction).padStart(4, '0')}`);

const line: fc.Arbitrary<LineInput> = fc.record({
  quantity,
  unitPrice: fc.integer({ min: 0, max: 5_000_000 }),
  discount: fc.option(
    fc.oneof(
      fc.record({
        kind: fc.constant('percent' as const),
        rate: fc.integer({ min: 0, max: 100 }).map(String),
      }),
      fc.record({ kind: fc.constant('amount' as const), amount: fc.integer({ min: 0, max: 500 }) }),
    ),
    { nil: undefined },
  ),
  taxRate: fc.option(rate, { nil: undefined }),
  taxInclusive: fc.boolean(),
});

/** An invoice as the store would hand it back, priced by the domain's own arithmetic. */
function invoiceOf(currency: string, inputs: readonly LineInput[]): InvoiceWithLines | undefined {
  // An amount discount larger than the line is refused by the domain: such an invoice cannot exist.
  let totals;
  try {
    totals = computeInvoice(currency, inputs);
  } catch {
    return undefined;
  }
  const lines: InvoiceLine[] = inputs.map((input, index) => {
    const amounts = totals.lines[index];
    if (!amounts) throw new Error('the domain priced fewer lines than given');
    return {
      id: `iln_${index}`,
      invoiceId: 'inv_1',
      position: index + 1,
      billableId: null,
      serviceId: null,
      description: `Line ${index + 1}`,
      quantity: new Dec(input.quantity).toFixed(),
      unitPrice: input.unitPrice,
      discount: input.discount ?? null,
      taxRate: input.taxRate ?? null,
      taxInclusive: input.taxInclusive === true,
      amounts,
    };
  });
  return {
    id: 'inv_1',
    currency,
    lines,
    subtotal: totals.subtotal,
    discountTotal: totals.discount,
    taxTotal: totals.tax,
    total: totals.total,
  } as unknown as InvoiceWithLines;
}

describe('QuickBooks invoice lines', () => {
  it('every sales line has Amount = Qty × UnitPrice exactly, and the lines add up to our total', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('USD', 'JPY', 'KWD'),
        fc.array(line, { minLength: 1, maxLength: 8 }),
        (currency, inputs) => {
          const invoice = invoiceOf(currency, inputs);
          if (!invoice) return;
          const targets = new Map<string, LineTargets>(
            invoice.lines.map((l) => [l.id, { itemId: '1', taxCode: l.taxRate === null ? 'NON' : 'TAX' }]),
          );
          const built = invoiceLines(invoice, targets);
          const scale = new Dec(10).pow(currencyExponent(currency));
          for (const qboLine of built.Line) {
            const amount = new Dec(String(qboLine.Amount));
            // Never more fraction digits than the currency has.
            expect(amount.times(scale).isInteger()).toBe(true);
            if (qboLine.DetailType !== 'SalesItemLineDetail') continue;
            const detail = qboLine.SalesItemLineDetail as { Qty: number; UnitPrice: number };
            expect(new Dec(String(detail.Qty)).times(new Dec(String(detail.UnitPrice))).eq(amount)).toBe(
              true,
            );
          }
          expect(expectedTotal(built, currency)).toBe(invoice.total);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps our quantity and price when they multiply out, restates them when they cannot', () => {
    expect(qtyAndPrice('1.5', 15_000, 22_500, 'USD')).toEqual({
      qty: '1.5',
      unitPrice: '150',
      restated: false,
    });
    // 0.333 × 123.45 = 41.10885, billed 41.11: 41.11 / 0.333 does not terminate, so Qty 1.
    expect(qtyAndPrice('0.333', 12_345, 4_111, 'USD')).toEqual({
      qty: '1',
      unitPrice: '41.11',
      restated: true,
    });
    // 3 × 33.33 = 99.99 but the line (tax carved out) is 90.00: 90 / 3 = 30.
    expect(qtyAndPrice('3', 3_333, 9_000, 'USD')).toEqual({ qty: '3', unitPrice: '30', restated: true });
  });
});
