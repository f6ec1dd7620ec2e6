import { Dec } from '../../domain/decimal.js';

/** Row locks a read inside a transaction may take: `update` before writing the row, `share` to rely on it. */
export type RowLock = 'update' | 'share' | undefined;

export function lockClause(lock: RowLock): string {
  if (lock === 'update') return ' FOR UPDATE';
  if (lock === 'share') return ' FOR SHARE';
  return '';
}

/** numeric columns arrive as text at the column's scale ("8.8750"); the API speaks canonical decimals ("8.875"). */
export function decimalText(value: unknown): string {
  return new Dec(String(value)).toFixed();
}

export function decimalOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : decimalText(value);
}
