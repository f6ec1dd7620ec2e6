import { Decimal } from '../kernel/decimal.js';
import { decimalToCents, fromCents, parseDecimal } from '../kernel/amounts.js';
import { qboDate } from '../kernel/clock.js';
import type { QboObject } from '../kernel/company.js';
import { faults } from '../kernel/faults.js';
import { assertMaxLength, type Json, refId, text, type WriteContext } from './context.js';
import { currencyRefFor } from './names.js';

/** Header rules every transaction shares: TxnDate, DocNumber (≤ 21, unique per type: 6140), notes. */
export function transactionHeader(
  ctx: WriteContext,
  entity: string,
  input: Json,
  existing: QboObject | undefined,
  options: { autoDocNumber: boolean },
): Json {
  const header: Json = { TxnDate: text(input.TxnDate) ?? qboDate(ctx.nowMs) };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(String(header.TxnDate))) {
    throw faults.business(`TxnDate is not a valid date: ${String(header.TxnDate)}`, 'TxnDate');
  }
  assertMaxLength(input.PrivateNote, 'PrivateNote', 4000);
  let docNumber = text(input.DocNumber);
  if (docNumber !== undefined) {
    assertMaxLength(docNumber, 'DocNumber', 21);
    if (!ctx.allowDuplicateDocNumber) {
      const clash = ctx.company
        .findBy(entity, 'DocNumber', docNumber)
        .find((other) => other.Id !== existing?.Id && other.DocNumber === docNumber);
      if (clash) throw faults.duplicateDocNumber(docNumber, entity, clash.Id);
    }
  } else if (options.autoDocNumber && !existing && input.AutoDocNumber !== false) {
    docNumber = ctx.company.nextDocNumber(entity);
  }
  if (docNumber !== undefined) header.DocNumber = docNumber;
  return header;
}

export interface TxnCurrency {
  readonly json: Json;
  /** Converts an amount in the transaction's currency to home currency (HomeTotalAmt). */
  home(cents: number): number;
  readonly multiCurrency: boolean;
}

/**
 * The transaction's currency: the customer's (or the home currency), which a request may only
 * repeat. With multicurrency on, QuickBooks adds ExchangeRate (home units per foreign unit).
 */
export function transactionCurrency(
  ctx: WriteContext,
  input: Json,
  customer: QboObject | undefined,
): TxnCurrency {
  const home = ctx.company.homeCurrency;
  const customerCurrency = refId(customer?.CurrencyRef) ?? home;
  const code = refId(input.CurrencyRef) ?? customerCurrency;
  if (code !== home && !ctx.company.multiCurrencyEnabled) {
    throw faults.business(
      'Multicurrency is not enabled for this company; CurrencyRef must be the home currency',
      'CurrencyRef',
    );
  }
  if (customer && code !== customerCurrency) {
    throw faults.business(
      `The transaction currency ${code} must match the customer's currency ${customerCurrency}`,
      'CurrencyRef',
    );
  }
  if (!ctx.company.multiCurrencyEnabled) {
    return { json: { CurrencyRef: currencyRefFor(code) }, home: (cents) => cents, multiCurrency: false };
  }
  let rate: Decimal;
  if (code === home) rate = new Decimal(1);
  else if (input.ExchangeRate !== undefined && input.ExchangeRate !== null) {
    rate = parseDecimal(input.ExchangeRate, 'ExchangeRate');
    if (!rate.isPositive()) throw faults.business('ExchangeRate must be positive', 'ExchangeRate');
  } else {
    const known = ctx.company.exchangeRates.get(code);
    if (known === undefined) throw faults.missing('ExchangeRate');
    rate = new Decimal(known);
  }
  return {
    json: { CurrencyRef: currencyRefFor(code), ExchangeRate: rate.toNumber() },
    home: (cents) => decimalToCents(new Decimal(cents).dividedBy(100).times(rate)),
    multiCurrency: true,
  };
}

export function homeAmounts(currency: TxnCurrency, fields: Record<string, number>): Json {
  if (!currency.multiCurrency) return {};
  return Object.fromEntries(
    Object.entries(fields).map(([field, cents]) => [field, fromCents(currency.home(cents))]),
  );
}

/** A payment or sales receipt sitting on a deposit cannot change any more (6540). */
export function assertNotDeposited(ctx: WriteContext, entity: string, id: string): void {
  if (ctx.company.depositedBy.has(`${entity}:${id}`)) throw faults.deposited();
}

/** "Voided" prepended to the memo, once: voiding a voided transaction leaves it as it is. */
export function voidedNote(note: unknown): string {
  if (typeof note !== 'string' || note === '') return 'Voided';
  return note.startsWith('Voided') ? note : `Voided - ${note}`;
}
