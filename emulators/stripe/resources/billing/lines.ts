import type Stripe from 'stripe';
import type { AccountState } from '../../kernel/state.js';
import type { TaxRateObject } from './catalog.js';
import type { ItemObject } from './items.js';
import { book, type Stored } from './env.js';
import { inclusiveShare, percentOf } from './money.js';

export type InvoiceObject = Stored<Stripe.Invoice>;
export type LineObject = Stored<Stripe.InvoiceLineItem>;
export type TaxLine = Stripe.InvoiceLineItem.Tax;

/** Stripe embeds the first lines in the invoice and pages the rest through `/lines`. */
const EMBEDDED_LINES = 10;

/**
 * The taxes of one line: inclusive rates are carved out of the amount together (each rate's share
 * of amount × rate / (100 + all inclusive rates)), exclusive rates apply to what remains; every
 * tax rounds half-up on its own line, as Stripe computes tax rates per line.
 */
export function lineTaxes(amount: number, rates: readonly TaxRateObject[]): TaxLine[] {
  const inclusive = rates.filter((rate) => rate.inclusive);
  const inclusiveTotal = inclusive.reduce((sum, rate) => sum + rate.percentage, 0);
  const inclusiveTaxes = inclusive.map((rate) => inclusiveShare(amount, rate.percentage, inclusiveTotal));
  const net = amount - inclusiveTaxes.reduce((sum, tax) => sum + tax, 0);
  return rates.map((rate) => {
    const index = inclusive.indexOf(rate);
    const tax = index >= 0 ? (inclusiveTaxes[index] ?? 0) : percentOf(net, rate.percentage);
    return {
      amount: tax,
      tax_behavior: rate.inclusive ? 'inclusive' : 'exclusive',
      tax_rate_details: { tax_rate: rate.id },
      taxability_reason: 'standard_rated',
      taxable_amount: net,
      type: 'tax_rate_details',
    };
  });
}

export function linesOf(account: AccountState, invoiceId: string): LineObject[] {
  const ids = book(account).lineIds.get(invoiceId) ?? [];
  return ids.flatMap((id) => account.find<LineObject>('line_item', id) ?? []);
}

export function addLine(account: AccountState, line: LineObject): void {
  account.insert(line);
  const ledger = book(account).lineIds;
  const invoiceId = String(line.invoice);
  ledger.set(invoiceId, [...(ledger.get(invoiceId) ?? []), line.id]);
}

export function removeLine(account: AccountState, invoiceId: string, lineId: string): void {
  const ledger = book(account).lineIds;
  ledger.set(
    invoiceId,
    (ledger.get(invoiceId) ?? []).filter((id) => id !== lineId),
  );
  account.delete(lineId);
}

/** Recomputes the invoice's amounts and embedded lines from its line items. */
export function recalculate(account: AccountState, invoice: InvoiceObject): void {
  const lines = linesOf(account, invoice.id);
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  const taxes = lines.flatMap((line) => line.taxes ?? []);
  const inclusiveTax = sumOf(taxes.filter((tax) => tax.tax_behavior === 'inclusive'));
  const exclusiveTax = sumOf(taxes.filter((tax) => tax.tax_behavior === 'exclusive'));
  const total = subtotal + exclusiveTax;
  invoice.subtotal = subtotal;
  invoice.subtotal_excluding_tax = subtotal - inclusiveTax;
  invoice.total_excluding_tax = subtotal - inclusiveTax;
  invoice.total = total;
  invoice.total_taxes = aggregateTaxes(taxes);
  // A negative total is credited to the customer's balance; nothing is due.
  invoice.amount_due = Math.max(0, total - invoice.starting_balance);
  invoice.amount_remaining = Math.max(0, invoice.amount_due - invoice.amount_paid);
  invoice.lines = {
    object: 'list',
    data: lines.slice(0, EMBEDDED_LINES),
    has_more: lines.length > EMBEDDED_LINES,
    url: `/v1/invoices/${invoice.id}/lines`,
  };
}

function sumOf(taxes: readonly TaxLine[]): number {
  return taxes.reduce((sum, tax) => sum + tax.amount, 0);
}

/** `total_taxes`: one entry per tax rate, amounts and taxable amounts summed over the lines. */
function aggregateTaxes(taxes: readonly TaxLine[]): Stripe.Invoice.TotalTax[] {
  const byRate = new Map<string, Stripe.Invoice.TotalTax>();
  for (const tax of taxes) {
    const key = tax.tax_rate_details?.tax_rate ?? '';
    const existing = byRate.get(key);
    if (existing) {
      existing.amount += tax.amount;
      existing.taxable_amount = (existing.taxable_amount ?? 0) + (tax.taxable_amount ?? 0);
    } else {
      byRate.set(key, {
        ...tax,
        tax_rate_details: tax.tax_rate_details ? { ...tax.tax_rate_details } : null,
      });
    }
  }
  return [...byRate.values()];
}

/** The invoice line an invoice item shows as; taxes from the item's rates, else the invoice's defaults. */
export function lineForItem(
  account: AccountState,
  item: ItemObject,
  invoice: InvoiceObject,
  lineId: string,
): LineObject {
  const rates: TaxRateObject[] = item.tax_rates?.length ? item.tax_rates : invoice.default_tax_rates;
  const product = item.pricing?.price_details
    ? account.find('product', item.pricing.price_details.product)
    : undefined;
  const fallback = product && typeof product.name === 'string' ? `${item.quantity} × ${product.name}` : null;
  return {
    id: lineId,
    object: 'line_item',
    amount: item.amount,
    currency: item.currency,
    description: item.description ?? fallback,
    discount_amounts: [],
    discountable: item.discountable,
    discounts: [],
    invoice: invoice.id,
    livemode: false,
    metadata: item.metadata ?? {},
    parent: {
      type: 'invoice_item_details',
      invoice_item_details: {
        invoice_item: item.id,
        proration: false,
        proration_details: { credited_items: null },
        subscription: null,
      },
      subscription_item_details: null,
    },
    period: item.period,
    pretax_credit_amounts: [],
    pricing: item.pricing,
    quantity: item.quantity,
    quantity_decimal: item.quantity_decimal,
    subscription: null,
    subtotal: item.amount,
    taxes: lineTaxes(item.amount, rates),
  };
}
