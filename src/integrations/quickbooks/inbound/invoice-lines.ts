import type { LineDraft } from '../../../billing/lines.js';
import { parseQuantity } from '../../../domain/index.js';
import type { Queryable } from '../../../store/db.js';
import { findLinkByExternal } from '../../../store/repositories/external-links.js';
import type { InvoiceLine } from '../../../store/repositories/invoices-lines.js';
import type { QboObject } from '../types.js';
import { fitsMinor, linesOf, toMinor } from './amounts.js';
import { refValue } from './context.js';

/**
 * QuickBooks invoice lines as ours. The push writes line N of our invoice as QuickBooks line N, with
 * Amount = our net + discount (tax apart), so position N is matched to our line N: a line whose
 * Amount is unchanged keeps everything it had (billable, service, discount, tax rate); a changed one
 * takes QuickBooks' Qty × UnitPrice (or Qty 1 at its Amount, when the unit price has more digits than
 * the currency) and keeps its billable, service and tax rate; lines added in QuickBooks come as new
 * lines without tax. Discount and subtotal lines are not lines here: the invoice total is taken from
 * QuickBooks' TotalAmt whenever lines changed.
 */
export function salesLinesOf(invoice: QboObject): QboObject[] {
  return linesOf(invoice).filter((line) => line.DetailType === 'SalesItemLineDetail');
}

export async function lineDrafts(
  tx: Queryable,
  tenantId: string,
  currency: string,
  invoice: QboObject,
  current: readonly InvoiceLine[],
): Promise<LineDraft[]> {
  const drafts: LineDraft[] = [];
  for (const [index, line] of salesLinesOf(invoice).entries()) {
    const ours = current[index];
    const amount = toMinor(line.Amount, currency);
    if (ours && ours.amounts.net + ours.amounts.discount === amount) {
      drafts.push({
        description: ours.description,
        quantity: ours.quantity,
        unitPrice: ours.unitPrice,
        serviceId: ours.serviceId,
        billableId: ours.billableId,
        discount: ours.discount,
        taxRate: ours.taxRate,
        taxInclusive: ours.taxInclusive,
      });
      continue;
    }
    const detail = (line.SalesItemLineDetail ?? {}) as QboObject;
    const { quantity, unitPrice } = quantityAndPrice(detail, amount, currency);
    const description =
      typeof line.Description === 'string' && line.Description.trim() !== ''
        ? line.Description.trim().slice(0, 4000)
        : (ours?.description ?? itemName(detail) ?? 'QuickBooks line');
    drafts.push({
      description,
      quantity,
      unitPrice,
      serviceId: ours?.serviceId ?? (await serviceOf(tx, tenantId, detail)),
      billableId: ours?.billableId ?? null,
      discount: null,
      taxRate: ours && !ours.taxInclusive ? ours.taxRate : null,
      taxInclusive: false,
    });
  }
  return drafts;
}

function quantityAndPrice(detail: QboObject, amount: number, currency: string) {
  const qty = detail.Qty;
  const price = detail.UnitPrice;
  if (typeof qty === 'number' && qty > 0 && fitsMinor(price, currency)) {
    try {
      const quantity = parseQuantity(String(qty));
      const unitPrice = toMinor(price, currency);
      if (unitPrice >= 0) return { quantity, unitPrice };
    } catch {
      // a quantity with more digits than ours keep: priced as one unit at the line's amount below
    }
  }
  return { quantity: '1', unitPrice: Math.max(0, amount) };
}

function itemName(detail: QboObject): string | undefined {
  const name = (detail.ItemRef as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

async function serviceOf(tx: Queryable, tenantId: string, detail: QboObject): Promise<string | null> {
  const itemId = refValue(detail.ItemRef);
  if (!itemId) return null;
  const link = await findLinkByExternal(tx, {
    tenantId,
    provider: 'quickbooks',
    localType: 'service',
    externalId: itemId,
  });
  return link?.localId ?? null;
}
