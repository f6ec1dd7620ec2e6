import type Stripe from 'stripe';
import { formatMoney, money } from '../../../domain/index.js';
import type { InvoiceLine } from '../../../store/repositories/invoices-lines.js';

/**
 * One of our invoice lines as one Stripe line, carrying exactly our line amount (before tax; Stripe
 * adds or carves out the tax with the linked tax rate, rounding per line half-up as we do).
 *
 * - An integer quantity without discount is sent as it is: quantity × unit price (= our gross, exact).
 * - Anything else (1.5 hours, a discount) is quantity 1 at our discounted amount, the arithmetic
 *   spelled out in the description ("Consulting — 1.5 × $150.00, 10% off"), so the total never moves.
 * - Lines from a service name its product through `price_data[product]` with our amount (not the
 *   catalog price); lines without a service are a plain `amount`.
 */
export interface StripeLineTargets {
  readonly productId: string | null;
  readonly taxRateId: string | null;
}

export type StripeLineParams = Stripe.InvoiceAddLinesParams.Line;

export function stripeLine(
  line: InvoiceLine,
  currency: string,
  targets: StripeLineTargets,
): StripeLineParams {
  const amount = line.amounts.gross - line.amounts.discount;
  const simple = /^\d+$/.test(line.quantity) && line.discount === null;
  const quantity = simple ? Number(line.quantity) : 1;
  const unitAmount = simple ? line.unitPrice : amount;
  return {
    description: simple ? line.description : describe(line, currency),
    ...(targets.productId === null
      ? { amount: quantity * unitAmount }
      : {
          price_data: {
            currency: currency.toLowerCase(),
            product: targets.productId,
            unit_amount: unitAmount,
          },
          quantity,
        }),
    ...(targets.taxRateId === null ? {} : { tax_rates: [targets.taxRateId] }),
    metadata: { ledgerbridge_line_id: line.id },
  };
}

function describe(line: InvoiceLine, currency: string): string {
  const format = (amount: number) => formatMoney(money(amount, currency), 'en-US');
  let text = `${line.description} — ${line.quantity} × ${format(line.unitPrice)}`;
  if (line.discount?.kind === 'percent') text += `, ${line.discount.rate}% off`;
  if (line.discount?.kind === 'amount') text += `, ${format(line.discount.amount)} off`;
  return text;
}
