import { currencyExponent, Dec, formatMoney, money } from '../../../domain/index.js';
import type { InvoiceWithLines } from '../../../store/repositories/invoices.js';
import type { InvoiceLine } from '../../../store/repositories/invoices-lines.js';
import type { QboObject } from '../types.js';
import { toQboAmount } from './amounts.js';

/**
 * Our invoice as QuickBooks lines, so that QuickBooks' TotalAmt is our total to the cent.
 *
 * - Each line is a SalesItemLineDetail whose Amount is the line's price before discount and without
 *   tax: `net + discount` (for tax-exclusive lines that is the gross; for tax-inclusive ones the tax is
 *   carved out first). Their sum is our subtotal by definition (src/domain/invoice-math.ts).
 * - QuickBooks refuses a line whose Amount is not Qty × UnitPrice (6070). Qty and UnitPrice are ours
 *   when their product is exactly the Amount; else the same Qty with the unit price the Amount implies,
 *   when that is a short exact decimal; else Qty 1 at the Amount, our arithmetic spelled out in the
 *   description ("Consulting — 0.333 × $123.45"). The Amount never moves.
 * - All discounts are one DiscountLineDetail of our discount total (an amount, not a percent, so
 *   QuickBooks has nothing to round), applied before tax as we do.
 * - Tax: each line names its TaxCode, and TxnTaxDetail.TotalTax is our tax total, so QuickBooks does not
 *   recompute it (its rounding can differ by a cent).
 *
 * TotalAmt = subtotal − discount + tax = our total. The push still compares it after every write.
 */
export const MAX_UNIT_PRICE_DECIMALS = 5;

export interface LineTargets {
  /** The QuickBooks Item of the line (its service's, or the generic one for lines without a service). */
  readonly itemId: string;
  /** The TaxCode: settings.tax_code_map for the line's rate, else the US codes TAX / NON. */
  readonly taxCode: string;
}

export interface QtyPrice {
  /** Decimal text, as QuickBooks will read it. */
  readonly qty: string;
  readonly unitPrice: string;
  /** True when Qty/UnitPrice are not our quantity and unit price (the description explains). */
  readonly restated: boolean;
}

/** Qty and UnitPrice whose product is exactly `amount` minor units (see the rule above). */
export function qtyAndPrice(quantity: string, unitPrice: number, amount: number, currency: string): QtyPrice {
  const scale = new Dec(10).pow(currencyExponent(currency));
  const qty = new Dec(quantity);
  const target = new Dec(amount).div(scale);
  const ours = new Dec(unitPrice).div(scale);
  if (qty.times(ours).eq(target)) return { qty: qty.toFixed(), unitPrice: ours.toFixed(), restated: false };
  if (!qty.isZero()) {
    const implied = target.div(qty);
    if (implied.decimalPlaces() <= MAX_UNIT_PRICE_DECIMALS && qty.times(implied).eq(target)) {
      return { qty: qty.toFixed(), unitPrice: implied.toFixed(), restated: true };
    }
  }
  return { qty: '1', unitPrice: target.toFixed(), restated: true };
}

/** The line's Amount: its price before discount, without tax (see above). */
export function lineAmount(line: InvoiceLine): number {
  return line.amounts.net + line.amounts.discount;
}

export function salesLine(line: InvoiceLine, currency: string, targets: LineTargets): QboObject {
  const amount = lineAmount(line);
  const plan = qtyAndPrice(line.quantity, line.unitPrice, amount, currency);
  return {
    LineNum: line.position,
    Description: plan.restated || line.taxInclusive ? describe(line, currency) : line.description,
    Amount: toQboAmount(amount, currency),
    DetailType: 'SalesItemLineDetail',
    SalesItemLineDetail: {
      ItemRef: { value: targets.itemId },
      Qty: Number(plan.qty),
      UnitPrice: Number(plan.unitPrice),
      TaxCodeRef: { value: targets.taxCode },
    },
  };
}

export interface InvoiceLines {
  readonly Line: QboObject[];
  readonly TxnTaxDetail?: QboObject;
  readonly ApplyTaxAfterDiscount: boolean;
}

export function invoiceLines(
  invoice: InvoiceWithLines,
  targets: ReadonlyMap<string, LineTargets>,
): InvoiceLines {
  const Line = invoice.lines.map((line) => {
    const target = targets.get(line.id);
    if (!target) throw new Error(`line ${line.id} has no QuickBooks item`);
    return salesLine(line, invoice.currency, target);
  });
  if (invoice.discountTotal > 0) {
    Line.push({
      Amount: toQboAmount(invoice.discountTotal, invoice.currency),
      DetailType: 'DiscountLineDetail',
      DiscountLineDetail: { PercentBased: false },
    });
  }
  return {
    Line,
    ApplyTaxAfterDiscount: true,
    ...(invoice.taxTotal > 0 || invoice.lines.some((line) => line.taxRate !== null)
      ? { TxnTaxDetail: { TotalTax: toQboAmount(invoice.taxTotal, invoice.currency) } }
      : {}),
  };
}

/** Σ Amount of the sales lines − discount + tax: what QuickBooks' TotalAmt will be. */
export function expectedTotal(lines: InvoiceLines, currency: string): number {
  const scale = new Dec(10).pow(currencyExponent(currency));
  let total = new Dec(0);
  for (const line of lines.Line) {
    const amount = new Dec(String(line.Amount)).times(scale);
    total = line.DetailType === 'DiscountLineDetail' ? total.minus(amount) : total.plus(amount);
  }
  const tax = lines.TxnTaxDetail?.TotalTax;
  if (tax !== undefined) total = total.plus(new Dec(String(tax)).times(scale));
  return total.toNumber();
}

function describe(line: InvoiceLine, currency: string): string {
  const format = (amount: number) => formatMoney(money(amount, currency), 'en-US');
  let text = `${line.description} — ${line.quantity} × ${format(line.unitPrice)}`;
  if (line.discount?.kind === 'percent') text += `, ${line.discount.rate}% off`;
  if (line.discount?.kind === 'amount') text += `, ${format(line.discount.amount)} off`;
  if (line.taxInclusive && line.taxRate !== null) text += ` (incl. ${line.taxRate}% tax)`;
  return text.slice(0, 4000);
}
