import {
  computeInvoice,
  type Discount,
  type InvoiceTotals,
  type LineInput,
  parseQuantity,
  parseRate,
} from '../domain/index.js';
import type { NewInvoiceLine } from '../store/repositories/invoices-lines.js';

/** One invoice line as a caller describes it, before pricing. */
export interface LineDraft {
  readonly description: string;
  readonly quantity: string;
  readonly unitPrice: number;
  readonly serviceId: string | null;
  readonly billableId: string | null;
  readonly discount: Discount | null;
  readonly taxRate: string | null;
  readonly taxInclusive: boolean;
}

export interface PricedLines {
  readonly totals: InvoiceTotals;
  readonly lines: readonly NewInvoiceLine[];
}

/**
 * Prices lines with the domain's invoice math (the only place amounts are computed) and pairs each
 * draft with its amounts. Quantities and rates are stored in canonical form ("1.50" → "1.5") so what
 * is stored is exactly what was priced.
 */
export function priceLines(currency: string, drafts: readonly LineDraft[]): PricedLines {
  const inputs: LineInput[] = drafts.map((draft) => ({
    quantity: draft.quantity,
    unitPrice: draft.unitPrice,
    ...(draft.discount !== null && { discount: draft.discount }),
    ...(draft.taxRate !== null && { taxRate: draft.taxRate, taxInclusive: draft.taxInclusive }),
  }));
  // computeInvoice validates every line first and names the bad one ("line 2: …").
  const totals = computeInvoice(currency, inputs);
  const lines = drafts.map((draft, index): NewInvoiceLine => {
    const amounts = totals.lines[index];
    if (!amounts) throw new Error('computeInvoice returned fewer lines than it was given');
    return {
      billableId: draft.billableId,
      serviceId: draft.serviceId,
      description: draft.description,
      quantity: parseQuantity(draft.quantity),
      unitPrice: draft.unitPrice,
      discount:
        draft.discount?.kind === 'percent'
          ? { kind: 'percent', rate: parseRate(draft.discount.rate) }
          : draft.discount,
      taxRate: draft.taxRate === null ? null : parseRate(draft.taxRate),
      taxInclusive: draft.taxRate !== null && draft.taxInclusive,
      amounts,
    };
  });
  return { totals, lines };
}
