/*
 * Invoice arithmetic: one pure function from line inputs to every amount printed on an invoice.
 *
 * ROUNDING RULE. Every line is rounded once per step to the currency's minor unit with ROUND_HALF_UP
 * (commercial rounding, what Stripe and QuickBooks use). All amounts are integers of minor units, so
 * "round to the minor unit" is "round to an integer"; intermediate values are exact decimals (decimal.js),
 * never floats.
 *
 *   gross             = round(quantity × unitPrice)
 *   percent discount  = round(gross × rate / 100)          (amount discounts are taken as given)
 *   exclusive tax:      net   = gross − discount
 *                       tax   = round(net × taxRate / 100)
 *                       total = net + tax
 *   inclusive tax:      total = gross − discount              (the discounted gross already contains tax)
 *                       net   = round(total × 100 / (100 + taxRate))
 *                       tax   = total − net
 *   no tax rate:        net = total = gross − discount, tax = 0
 *
 * Invoice totals are plain sums of the rounded line values, never re-rounded from invoice-level products,
 * so the lines always add up to the total by construction and nothing drifts between us, Stripe and QBO.
 *
 * SUBTOTAL DEFINITION. subtotal = Σ (line.net + line.discount): what the invoice would cost before discounts
 * and before any tax added on top. For tax-exclusive lines that is exactly the gross; for tax-inclusive lines
 * it is the tax-free net plus the discount given. This choice makes the displayed invoice identity
 *   subtotal − discount + tax = total
 * hold exactly for every invoice, which a naive "Σ gross" subtotal would break as soon as a line is
 * tax-inclusive (its gross already contains tax, so tax would be counted twice).
 */
import { currencyExponent } from './currency.js';
import { Dec, parseQuantity, parseRate, percentOf, roundHalfUpToInteger } from './decimal.js';
import { InvoiceMathError, MoneyError } from './errors.js';

export { InvoiceMathError } from './errors.js';

export type Discount =
  { readonly kind: 'percent'; readonly rate: string } | { readonly kind: 'amount'; readonly amount: number }; // minor units, applies to the whole line

export interface LineInput {
  readonly quantity: string; // decimal string, e.g. "1.5"
  readonly unitPrice: number; // minor units, ≥ 0
  readonly discount?: Discount | undefined;
  readonly taxRate?: string | undefined; // percent decimal string, e.g. "8.875"; absent = no tax
  readonly taxInclusive?: boolean | undefined; // true: unit price already includes tax
}

export interface LineTotals {
  readonly gross: number; // round(quantity × unitPrice), before discount (incl. tax if inclusive)
  readonly discount: number; // 0 ≤ discount ≤ gross
  readonly net: number; // excluding tax, after discount
  readonly tax: number;
  readonly total: number; // net + tax: what the customer pays for this line
}

export interface InvoiceTotals {
  readonly currency: string;
  readonly lines: readonly LineTotals[];
  readonly subtotal: number; // Σ (net + discount), see SUBTOTAL DEFINITION above
  readonly discount: number; // Σ line discounts
  readonly tax: number; // Σ line tax
  readonly total: number; // Σ line totals = subtotal − discount + tax
}

export function computeInvoice(currency: string, lines: readonly LineInput[]): InvoiceTotals {
  currencyExponent(currency); // throws UnknownCurrencyError: totals without a valid currency are meaningless
  const computed = lines.map((line, index) => withLineContext(index, () => computeLine(line)));
  let subtotal = 0;
  let discount = 0;
  let tax = 0;
  let total = 0;
  for (const line of computed) {
    subtotal = safeSum(subtotal, line.net + line.discount);
    discount = safeSum(discount, line.discount);
    tax = safeSum(tax, line.tax);
    total = safeSum(total, line.total);
  }
  return { currency, lines: computed, subtotal, discount, tax, total };
}

/** One line, rounded step by step as documented at the top of this file. */
export function computeLine(line: LineInput): LineTotals {
  if (!Number.isSafeInteger(line.unitPrice) || line.unitPrice < 0) {
    throw new InvoiceMathError(`unit price must be a non-negative safe integer, got ${line.unitPrice}`);
  }
  const quantity = parseQuantity(line.quantity);
  const gross = roundHalfUpToInteger(new Dec(quantity).times(line.unitPrice));
  const discount = lineDiscount(gross, line.discount);
  const discounted = gross - discount;

  if (line.taxRate === undefined) return { gross, discount, net: discounted, tax: 0, total: discounted };
  const taxRate = parseRate(line.taxRate);

  if (line.taxInclusive === true) {
    // Back out the tax from the price the customer pays; tax takes the rounding remainder so that
    // net + tax equals the discounted gross exactly.
    const net = roundHalfUpToInteger(new Dec(discounted).times(100).div(new Dec(taxRate).plus(100)));
    return { gross, discount, net, tax: discounted - net, total: discounted };
  }
  const tax = roundHalfUpToInteger(percentOf(discounted, taxRate));
  return { gross, discount, net: discounted, tax, total: safeSum(discounted, tax) };
}

function lineDiscount(gross: number, discount: Discount | undefined): number {
  if (discount === undefined) return 0;
  if (discount.kind === 'percent') {
    // rate ≤ 100 (parseRate), so the rounded result can never exceed gross.
    return roundHalfUpToInteger(percentOf(gross, parseRate(discount.rate)));
  }
  const { amount } = discount;
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new InvoiceMathError(`discount amount must be a non-negative safe integer, got ${amount}`);
  }
  // A discount larger than the line would mean a negative line, i.e. a hidden credit note: refuse it.
  if (amount > gross) throw new InvoiceMathError(`discount of ${amount} exceeds the line amount of ${gross}`);
  return amount;
}

function safeSum(a: number, b: number): number {
  const result = a + b;
  if (!Number.isSafeInteger(result)) throw new MoneyError('invoice amount exceeds the safe integer range');
  return result;
}

/** Prefixes the line number to domain errors so an API client can tell which line is wrong. */
function withLineContext<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof Error) error.message = `line ${index + 1}: ${error.message}`;
    throw error;
  }
}
