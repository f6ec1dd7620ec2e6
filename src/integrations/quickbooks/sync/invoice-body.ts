import { getContact } from '../../../store/repositories/contacts.js';
import type { InvoiceWithLines } from '../../../store/repositories/invoices.js';
import type { InvoiceLine } from '../../../store/repositories/invoices-lines.js';
import type { QboObject } from '../types.js';
import { noteTag, type QboSyncContext, qbo, quote } from './context.js';
import { currencyFacts, genericItemId } from './facts.js';
import { invoiceLines, type LineTargets } from './invoice-lines.js';
import { ensureItem } from './items.js';
import { mergeRealmFacts, readRealmFacts } from './store.js';

/**
 * The QuickBooks Invoice body of one of our invoices: header fields, lines (invoice-lines.ts), the
 * customer, and the currency with its exchange rate when it is not the company's home currency.
 */
export const GENERIC_LINE_ITEM = { key: 'line', name: 'Other charges (ledgerbridge)' } as const;

/** settings.tax_code_map by the line's rate ("8.875"), else QuickBooks' US codes TAX and NON. */
export function taxCodeFor(
  map: Readonly<Record<string, string>>,
  line: Pick<InvoiceLine, 'taxRate'>,
): string {
  if (line.taxRate === null) return map.none ?? 'NON';
  return map[line.taxRate] ?? map[`${line.taxRate}%`] ?? 'TAX';
}

/** Each line's Item (its service's, or the generic one) and TaxCode, items ensured one at a time. */
export async function lineTargets(
  ctx: QboSyncContext,
  invoice: InvoiceWithLines,
): Promise<Map<string, LineTargets>> {
  const items = new Map<string, string>();
  const targets = new Map<string, LineTargets>();
  for (const line of invoice.lines) {
    const key = line.serviceId ?? '';
    let itemId = items.get(key);
    if (itemId === undefined) {
      itemId =
        line.serviceId === null
          ? await genericItemId(ctx, GENERIC_LINE_ITEM.key, GENERIC_LINE_ITEM.name)
          : await ensureItem(ctx, line.serviceId);
      items.set(key, itemId);
    }
    targets.set(line.id, { itemId, taxCode: taxCodeFor(ctx.settings.tax_code_map, line) });
  }
  return targets;
}

export interface CurrencyFields {
  readonly CurrencyRef?: { value: string };
  readonly ExchangeRate?: number;
}

/**
 * Home currency: nothing to send. Another currency: CurrencyRef, and QuickBooks' own rate for the
 * invoice date when it has one (ledgerbridge keeps no rates; without one QuickBooks applies its own).
 */
export async function currencyFields(
  ctx: QboSyncContext,
  currency: string,
  date: string,
): Promise<CurrencyFields> {
  const { home } = await currencyFacts(ctx);
  if (currency === home) return {};
  const key = `rate:${currency}:${date}`;
  const stored = (await readRealmFacts(ctx.db, ctx.tenantId, ctx.realmId))?.data[key];
  if (typeof stored === 'number') return { CurrencyRef: { value: currency }, ExchangeRate: stored };
  let rate: number | undefined;
  try {
    const [row] = await qbo(`read the ${currency} exchange rate`, () =>
      ctx.client.query(
        `SELECT * FROM ExchangeRate WHERE SourceCurrencyCode = ${quote(currency)} AND AsOfDate = ${quote(date)}`,
      ),
    );
    rate = typeof row?.Rate === 'number' && row.Rate > 0 ? row.Rate : undefined;
  } catch {
    rate = undefined; // a company without rates for the day: QuickBooks picks its own
  }
  if (rate === undefined) return { CurrencyRef: { value: currency } };
  await mergeRealmFacts(ctx.db, ctx.tenantId, ctx.realmId, { [key]: rate });
  return { CurrencyRef: { value: currency }, ExchangeRate: rate };
}

export async function invoiceBody(
  ctx: QboSyncContext,
  invoice: InvoiceWithLines,
  customerId: string,
): Promise<QboObject> {
  const contact = await getContact(ctx.db, ctx.tenantId, invoice.contactId);
  const lines = invoiceLines(invoice, await lineTargets(ctx, invoice));
  const note = [noteTag(invoice.id), invoice.memo].filter((part) => part !== null && part !== '').join(' — ');
  return {
    DocNumber: String(invoice.number),
    TxnDate: invoice.issueDate,
    ...(invoice.dueDate === null ? {} : { DueDate: invoice.dueDate }),
    CustomerRef: { value: customerId },
    ...(await currencyFields(ctx, invoice.currency, invoice.issueDate)),
    PrivateNote: note.slice(0, 4000),
    ...(invoice.memo === null ? {} : { CustomerMemo: { value: invoice.memo.slice(0, 1000) } }),
    ...(contact?.email ? { BillEmail: { Address: contact.email } } : {}),
    EmailStatus: 'NotSet',
    ...lines,
  };
}
