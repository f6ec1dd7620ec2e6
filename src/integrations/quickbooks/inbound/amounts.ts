import { currencyExponent, Dec, roundHalfUpToInteger } from '../../../domain/index.js';
import type { QboObject } from '../types.js';

/**
 * QuickBooks amounts are decimals in the transaction's currency (JSON numbers such as 123.45, never
 * more than the currency's decimals for totals and balances). Read through their text, so no float
 * arithmetic touches them; the rare extra digit (a unit price of 12.345) is rounded half up.
 */
export function toMinor(value: unknown, currency: string): number {
  if (value === undefined || value === null || value === '') return 0;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(text))
    throw new Error(`QuickBooks amount ${String(value)} is not a number`);
  return roundHalfUpToInteger(new Dec(text).times(new Dec(10).pow(currencyExponent(currency))));
}

/** Whether a decimal has no more digits than the currency keeps (a unit price we can store exactly). */
export function fitsMinor(value: unknown, currency: string): boolean {
  if (value === undefined || value === null) return false;
  const text = String(value);
  const fraction = /\.(\d+)$/.exec(text)?.[1] ?? '';
  return fraction.replace(/0+$/, '').length <= currencyExponent(currency);
}

/** The transaction's currency: its CurrencyRef, else the company's home currency. */
export function currencyOf(object: QboObject, homeCurrency: string): string {
  const ref = object.CurrencyRef;
  if (ref && typeof ref === 'object' && 'value' in ref && typeof ref.value === 'string') {
    return ref.value.toUpperCase();
  }
  return homeCurrency;
}

/** Lines of a transaction (`Line[]`), as objects. */
export function linesOf(object: QboObject): QboObject[] {
  const lines = object.Line;
  return Array.isArray(lines)
    ? lines.filter((line): line is QboObject => !!line && typeof line === 'object')
    : [];
}

/** The transactions a line links (`LinkedTxn[]`): `{ TxnId, TxnType }`. */
export function linkedTxns(object: QboObject): { id: string; type: string }[] {
  const linked = object.LinkedTxn;
  if (!Array.isArray(linked)) return [];
  return linked.flatMap((item: unknown) => {
    if (!item || typeof item !== 'object') return [];
    const { TxnId, TxnType } = item as { TxnId?: unknown; TxnType?: unknown };
    if ((typeof TxnId !== 'string' && typeof TxnId !== 'number') || typeof TxnType !== 'string') return [];
    return [{ id: String(TxnId), type: TxnType }];
  });
}
