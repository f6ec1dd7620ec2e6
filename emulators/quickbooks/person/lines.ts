import DecimalModule from 'decimal.js';
import type { QbObject, QuickBooksClient } from './client.js';
import type { LineChange, LineInput } from './schemas.js';

// decimal.js's typings say the default import is the module object; at runtime it is the class.
const Decimal = DecimalModule as unknown as typeof DecimalModule.default;

/** Qty × UnitPrice rounded half-up to cents, as QuickBooks checks a line's Amount (error 6070). */
export function lineAmount(qty: string, price: string): number {
  return new Decimal(qty).times(price).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toNumber();
}

export type QbLine = Record<string, unknown> & {
  Id?: string;
  DetailType?: string;
  Amount?: number;
  SalesItemLineDetail?: Record<string, unknown> & { Qty?: number; UnitPrice?: number };
};

export class PersonError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The item a line without one is booked to: the company's "Services" item, else its first active
 * service item. A person picking nothing in QuickBooks' product column gets the same; the API
 * itself treats an item-less line as a description only.
 */
async function defaultItem(client: QuickBooksClient, realmId: string): Promise<QbObject> {
  const items = await client.queryAll(realmId, 'Item');
  if (!Array.isArray(items)) throw new PersonError(502, 'QuickBooks did not list the items');
  const active = items.filter((item) => item['Active'] !== false);
  const chosen =
    active.find((item) => item['Name'] === 'Services') ?? active.find((i) => i['Type'] === 'Service');
  if (!chosen?.Id) throw new PersonError(400, 'The company has no service item: give each line an itemId');
  return chosen;
}

async function itemById(client: QuickBooksClient, realmId: string, itemId: string): Promise<QbObject> {
  const { object } = await client.read(realmId, 'Item', itemId);
  if (!object) throw new PersonError(400, `There is no item ${itemId}`);
  return object;
}

/** A new sales line as the invoice form builds it from what the person typed. */
export async function salesLine(
  client: QuickBooksClient,
  realmId: string,
  input: LineInput,
): Promise<QbLine> {
  const needsPrice = input.amount === undefined && input.unitPrice === undefined;
  const item =
    input.itemId === undefined
      ? await defaultItem(client, realmId)
      : needsPrice
        ? await itemById(client, realmId, input.itemId)
        : { Id: input.itemId };
  const qty = input.qty ?? '1';
  let price = input.unitPrice;
  if (price === undefined && input.amount === undefined) {
    const itemPrice = item['UnitPrice'];
    if (typeof itemPrice !== 'number')
      throw new PersonError(400, `Item ${input.itemId ?? ''} has no price: give one`);
    price = String(itemPrice);
  }
  // An amount alone is one unit at that price, as QuickBooks' form fills it in.
  if (price === undefined && input.amount !== undefined && input.qty === undefined) price = input.amount;
  const detail: Record<string, unknown> = {
    ItemRef: { value: item.Id, ...(typeof item['Name'] === 'string' ? { name: item['Name'] } : {}) },
    Qty: Number(qty),
    ...(price === undefined ? {} : { UnitPrice: Number(price) }),
  };
  return {
    DetailType: 'SalesItemLineDetail',
    Amount: input.amount === undefined ? lineAmount(qty, price ?? '0') : Number(input.amount),
    ...(input.description === undefined ? {} : { Description: input.description }),
    SalesItemLineDetail: detail,
  };
}

/**
 * The invoice's lines with the person's changes applied. Sending Line replaces all lines, so the
 * unchanged ones go back as read; subtotal lines are QuickBooks' own and are left out.
 */
export function changedLines(invoice: QbObject, changes: readonly LineChange[]): QbLine[] {
  const lines = ((invoice['Line'] as QbLine[] | undefined) ?? []).filter(
    (line) => line.DetailType !== 'SubTotalLineDetail',
  );
  for (const change of changes) {
    const index = lines.findIndex((line) => line.Id === change.lineId);
    const line = lines[index];
    if (!line) throw new PersonError(400, `Invoice ${invoice.Id ?? ''} has no line ${change.lineId}`);
    const repriced = change.qty !== undefined || change.unitPrice !== undefined;
    if (repriced && line.DetailType !== 'SalesItemLineDetail') {
      throw new PersonError(
        400,
        `Line ${change.lineId} is not a sales line: only its description can change`,
      );
    }
    const detail = line.SalesItemLineDetail ?? {};
    const qty = change.qty ?? String(detail.Qty ?? 1);
    const price =
      change.unitPrice ??
      (detail.UnitPrice !== undefined
        ? String(detail.UnitPrice)
        : new Decimal(qty).isZero()
          ? '0'
          : new Decimal(line.Amount ?? 0).dividedBy(qty).toString());
    lines[index] = {
      ...line,
      ...(change.description === undefined ? {} : { Description: change.description }),
      ...(repriced
        ? {
            Amount: lineAmount(qty, price),
            SalesItemLineDetail: { ...detail, Qty: Number(qty), UnitPrice: Number(price) },
          }
        : {}),
    };
  }
  return lines;
}
