import { Decimal, ROUND_HALF_UP } from '../kernel/decimal.js';
import { decimalToCents, fromCents, parseDecimal, percentOf, toCents } from '../kernel/amounts.js';
import type { QboObject } from '../kernel/company.js';
import { faults } from '../kernel/faults.js';
import { bool, type Json, namedRef, refId, resolveRef, type WriteContext } from './context.js';

/**
 * The arithmetic of a sales form (invoice, sales receipt, credit memo, refund receipt) as QuickBooks
 * does it: each item line's Amount must be Qty × UnitPrice (6070), a SubTotalLine is generated, one
 * discount (percent or amount) comes off the subtotal, and sales tax is either the TotalTax the
 * request gives or the TaxCode's rates applied to the taxable lines, rounded half-up to the cent.
 */
export interface SalesTotals {
  readonly lines: Json[];
  readonly subtotalCents: number;
  readonly discountCents: number;
  readonly taxCents: number;
  readonly totalCents: number;
  readonly txnTaxDetail: Json;
}

interface ItemLine {
  readonly amountCents: number;
  readonly taxable: boolean;
}

export function computeSalesTotals(ctx: WriteContext, input: Json): SalesTotals {
  const rawLines = input.Line;
  if (!Array.isArray(rawLines) || rawLines.length === 0) throw faults.missing('Line');
  const usedIds = new Set(rawLines.map((line) => refId((line as Json).Id)).filter(Boolean));
  let nextLineId = 1;
  const lineId = (given: unknown): string => {
    const id = refId(given);
    if (id) return id;
    while (usedIds.has(String(nextLineId))) nextLineId += 1;
    usedIds.add(String(nextLineId));
    return String(nextLineId);
  };

  const out: Json[] = [];
  const items: ItemLine[] = [];
  let discount: Json | undefined;
  for (const raw of rawLines as Json[]) {
    const detailType = raw.DetailType;
    if (detailType === undefined) throw faults.missing('Line.DetailType');
    if (detailType === 'SubTotalLineDetail') continue;
    if (detailType === 'DiscountLineDetail') {
      if (discount) throw faults.business('Only one discount line is allowed per transaction', 'Line');
      discount = raw;
      continue;
    }
    if (detailType === 'DescriptionOnly') {
      out.push({ ...raw, Id: lineId(raw.Id), LineNum: out.length + 1, DetailType: 'DescriptionOnly' });
      continue;
    }
    if (detailType !== 'SalesItemLineDetail') {
      throw faults.business(
        `Line DetailType ${String(detailType)} is not supported on this transaction`,
        'Line.DetailType',
      );
    }
    const line = salesItemLine(ctx, raw);
    items.push({ amountCents: line.amountCents, taxable: line.taxable });
    out.push({ ...line.json, Id: lineId(raw.Id), LineNum: out.length + 1 });
  }
  if (items.length === 0)
    throw faults.business('You must add at least one line item to the transaction', 'Line');

  const subtotalCents = items.reduce((total, line) => total + line.amountCents, 0);
  out.push({ Amount: fromCents(subtotalCents), DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} });

  let discountCents = 0;
  if (discount) {
    const result = discountLine(ctx, discount, subtotalCents);
    discountCents = result.cents;
    out.push({ ...result.json, Id: lineId(discount.Id) });
  }

  let taxableCents = items
    .filter((line) => line.taxable)
    .reduce((total, line) => total + line.amountCents, 0);
  if (bool(input.ApplyTaxAfterDiscount, false) && discountCents > 0 && subtotalCents > 0) {
    taxableCents -= new Decimal(discountCents)
      .times(taxableCents)
      .dividedBy(subtotalCents)
      .toDecimalPlaces(0, ROUND_HALF_UP)
      .toNumber();
  }
  const tax = salesTax(ctx, input.TxnTaxDetail as Json | undefined, taxableCents);
  return {
    lines: out,
    subtotalCents,
    discountCents,
    taxCents: tax.cents,
    totalCents: subtotalCents - discountCents + tax.cents,
    txnTaxDetail: tax.json,
  };
}

function salesItemLine(ctx: WriteContext, raw: Json): { json: Json; amountCents: number; taxable: boolean } {
  const detail = { ...((raw.SalesItemLineDetail as Json | undefined) ?? {}) };
  if (raw.Amount === undefined || raw.Amount === null) throw faults.missing('Line.Amount');
  const amountCents = toCents(raw.Amount, 'Line.Amount');
  const qty =
    detail.Qty === undefined || detail.Qty === null
      ? undefined
      : parseDecimal(detail.Qty, 'Line.SalesItemLineDetail.Qty');
  const unitPrice =
    detail.UnitPrice === undefined || detail.UnitPrice === null
      ? undefined
      : parseDecimal(detail.UnitPrice, 'Line.SalesItemLineDetail.UnitPrice');
  if (qty !== undefined && unitPrice !== undefined) {
    if (decimalToCents(qty.times(unitPrice)) !== amountCents) throw faults.amountMismatch(String(raw.Amount));
  } else if (qty !== undefined && !qty.isZero()) {
    detail.UnitPrice = new Decimal(amountCents).dividedBy(100).dividedBy(qty).toDecimalPlaces(7).toNumber();
  }
  if (qty !== undefined) detail.Qty = qty.toNumber();
  if (unitPrice !== undefined) detail.UnitPrice = unitPrice.toNumber();

  const item =
    detail.ItemRef === undefined
      ? defaultItem(ctx)
      : resolveRef(ctx, 'Item', detail.ItemRef, 'Line.SalesItemLineDetail.ItemRef');
  if (item.Type === 'Category') throw faults.invalidReference('Categories cannot be used in transactions.');
  detail.ItemRef = namedRef(item);
  const taxCodeId = refId(detail.TaxCodeRef) ?? (item.Taxable === true ? 'TAX' : 'NON');
  const taxCode = ctx.company.get('TaxCode', taxCodeId);
  if (!taxCode) throw faults.invalidReference('Line.SalesItemLineDetail.TaxCodeRef');
  detail.TaxCodeRef = { value: taxCode.Id };
  const json: Json = {
    ...raw,
    Amount: fromCents(amountCents),
    DetailType: 'SalesItemLineDetail',
    SalesItemLineDetail: detail,
  };
  return { json, amountCents, taxable: taxCode.Taxable === true };
}

function defaultItem(ctx: WriteContext): QboObject {
  const found = ctx.company.all('Item').find((item) => item.Name === 'Services' && item.Active !== false);
  if (!found) throw faults.missing('Line.SalesItemLineDetail.ItemRef');
  return found;
}

function discountLine(ctx: WriteContext, raw: Json, subtotalCents: number): { json: Json; cents: number } {
  const detail = (raw.DiscountLineDetail as Json | undefined) ?? {};
  const percentBased = bool(detail.PercentBased, false);
  let cents: number;
  const out: Json = { PercentBased: percentBased };
  if (percentBased) {
    if (detail.DiscountPercent === undefined) throw faults.missing('Line.DiscountLineDetail.DiscountPercent');
    const percent = parseDecimal(detail.DiscountPercent, 'Line.DiscountLineDetail.DiscountPercent');
    if (percent.isNegative() || percent.greaterThan(100)) {
      throw faults.business(
        'Discount percent must be between 0 and 100',
        'Line.DiscountLineDetail.DiscountPercent',
      );
    }
    cents = percentOf(subtotalCents, percent);
    out.DiscountPercent = percent.toNumber();
  } else {
    if (raw.Amount === undefined || raw.Amount === null) throw faults.missing('Line.Amount');
    cents = toCents(raw.Amount, 'Line.Amount');
  }
  if (cents < 0 || cents > subtotalCents)
    throw faults.business('The discount cannot be more than the subtotal', 'Line.Amount');
  const account =
    detail.DiscountAccountRef === undefined
      ? ctx.company.all('Account').find((candidate) => candidate.AccountSubType === 'DiscountsRefundsGiven')
      : resolveRef(ctx, 'Account', detail.DiscountAccountRef, 'Line.DiscountLineDetail.DiscountAccountRef');
  if (account) out.DiscountAccountRef = namedRef(account);
  return {
    json: { ...raw, Amount: fromCents(cents), DetailType: 'DiscountLineDetail', DiscountLineDetail: out },
    cents,
  };
}

function salesTax(
  ctx: WriteContext,
  requested: Json | undefined,
  taxableCents: number,
): { json: Json; cents: number } {
  const explicit = requested?.TotalTax;
  let code: QboObject | undefined;
  if (requested?.TxnTaxCodeRef !== undefined && requested.TxnTaxCodeRef !== null) {
    code = ctx.company.get('TaxCode', refId(requested.TxnTaxCodeRef) ?? '');
    if (!code) throw faults.invalidReference('TxnTaxDetail.TxnTaxCodeRef');
  } else if (taxableCents > 0 || explicit !== undefined) {
    const taxPrefs = ctx.company.preferences.TaxPrefs as { TaxGroupCodeRef?: unknown } | undefined;
    code = ctx.company.get('TaxCode', refId(taxPrefs?.TaxGroupCodeRef) ?? '');
  }
  const rates = ratesOf(ctx, code);
  if (explicit !== undefined && explicit !== null) {
    const cents = toCents(explicit, 'TxnTaxDetail.TotalTax');
    const rate = rates[0];
    const taxLine: Json = { Amount: fromCents(cents), DetailType: 'TaxLineDetail' };
    if (rate) taxLine.TaxLineDetail = taxLineDetail(rate, taxableCents);
    return {
      json: {
        ...(code ? { TxnTaxCodeRef: { value: code.Id } } : {}),
        TotalTax: fromCents(cents),
        TaxLine: [taxLine],
      },
      cents,
    };
  }
  if (!code || taxableCents === 0) {
    return { json: { ...(code ? { TxnTaxCodeRef: { value: code.Id } } : {}), TotalTax: 0 }, cents: 0 };
  }
  let cents = 0;
  const taxLines = rates.map((rate) => {
    const amount = percentOf(taxableCents, parseDecimal(rate.RateValue ?? 0, 'RateValue'));
    cents += amount;
    return {
      Amount: fromCents(amount),
      DetailType: 'TaxLineDetail',
      TaxLineDetail: taxLineDetail(rate, taxableCents),
    };
  });
  return {
    json: { TxnTaxCodeRef: { value: code.Id }, TotalTax: fromCents(cents), TaxLine: taxLines },
    cents,
  };
}

function ratesOf(ctx: WriteContext, code: QboObject | undefined): QboObject[] {
  const details = ((code?.SalesTaxRateList as Json | undefined)?.TaxRateDetail ?? []) as Json[];
  return details
    .map((detail) => ctx.company.get('TaxRate', refId(detail.TaxRateRef) ?? ''))
    .filter((rate): rate is QboObject => rate !== undefined);
}

function taxLineDetail(rate: QboObject, taxableCents: number): Json {
  return {
    TaxRateRef: { value: rate.Id },
    PercentBased: true,
    TaxPercent: rate.RateValue,
    NetAmountTaxable: fromCents(taxableCents),
  };
}
