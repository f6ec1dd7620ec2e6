import { fromCents, toCents } from '../kernel/amounts.js';
import { addDays } from '../kernel/clock.js';
import type { QboObject } from '../kernel/company.js';
import { faults } from '../kernel/faults.js';
import { type EntityHandler, type Json, namedRef, requireRef, resolveRef } from './context.js';
import { unlinkPayments } from './payment.js';
import { computeSalesTotals } from './sales-lines.js';
import {
  assertNotDeposited,
  homeAmounts,
  transactionCurrency,
  transactionHeader,
  voidedNote,
} from './transaction.js';

/**
 * The sales forms, which share their lines and tax: Invoice (owed: Balance falls as payments
 * apply), SalesReceipt (paid on the spot, into Undeposited Funds), CreditMemo (RemainingCredit),
 * RefundReceipt (money paid back from DepositToAccountRef).
 */
type Kind = 'Invoice' | 'SalesReceipt' | 'CreditMemo' | 'RefundReceipt';

const HEADER_DEFAULTS: Json = {
  ApplyTaxAfterDiscount: false,
  PrintStatus: 'NotSet',
  EmailStatus: 'NotSet',
};

function salesForm(kind: Kind): EntityHandler {
  const receivesMoney = kind === 'SalesReceipt' || kind === 'RefundReceipt';
  return {
    entity: kind,
    creatable: true,
    deletable: true,
    voidable: kind === 'Invoice' || kind === 'SalesReceipt',
    readOnly: ['TotalAmt', 'HomeTotalAmt', 'Balance', 'HomeBalance', 'RemainingCredit', 'LinkedTxn'],
    prepare(ctx, input, existing) {
      if (existing && kind === 'SalesReceipt') assertNotDeposited(ctx, kind, existing.Id);
      const customer =
        kind === 'Invoice' || kind === 'CreditMemo'
          ? requireRef(ctx, 'Customer', input.CustomerRef, 'CustomerRef')
          : input.CustomerRef === undefined || input.CustomerRef === null
            ? undefined
            : resolveRef(ctx, 'Customer', input.CustomerRef, 'CustomerRef');
      const currency = transactionCurrency(ctx, input, customer);
      const header = transactionHeader(ctx, kind, input, existing, { autoDocNumber: true });
      const totals = computeSalesTotals(ctx, input);
      const object: Json = {
        ...HEADER_DEFAULTS,
        ...input,
        ...header,
        ...currency.json,
        Line: totals.lines,
        TxnTaxDetail: totals.txnTaxDetail,
        TotalAmt: fromCents(totals.totalCents),
        ...homeAmounts(currency, { HomeTotalAmt: totals.totalCents }),
      };
      if (customer) object.CustomerRef = namedRef(customer, 'DisplayName');
      if (receivesMoney) {
        const account =
          input.DepositToAccountRef === undefined || input.DepositToAccountRef === null
            ? kind === 'SalesReceipt'
              ? ctx.company.undepositedFunds()
              : undefined
            : resolveRef(ctx, 'Account', input.DepositToAccountRef, 'DepositToAccountRef');
        if (!account) throw faults.missing('DepositToAccountRef');
        object.DepositToAccountRef = namedRef(account);
        object.Balance = 0;
      }
      if (kind === 'Invoice') {
        object.DueDate =
          typeof input.DueDate === 'string' ? input.DueDate : addDays(String(header.TxnDate), 30);
        const open = openAmount(existing, 'Balance', totals.totalCents);
        object.Balance = fromCents(open);
        Object.assign(object, homeAmounts(currency, { HomeBalance: open }));
        object.LinkedTxn = existing?.LinkedTxn ?? [];
        object.Deposit = input.Deposit ?? 0;
        object.AllowOnlineCreditCardPayment = input.AllowOnlineCreditCardPayment ?? false;
        object.AllowOnlineACHPayment = input.AllowOnlineACHPayment ?? false;
      }
      if (kind === 'CreditMemo') {
        const remaining = openAmount(existing, 'RemainingCredit', totals.totalCents);
        object.RemainingCredit = fromCents(remaining);
        object.Balance = fromCents(remaining);
      }
      const explicitTax = (input.TxnTaxDetail as Json | undefined)?.TotalTax !== undefined;
      const commit = (stored: QboObject) => {
        if (explicitTax) ctx.company.taxOverrides.add(`${kind}:${stored.Id}`);
        else ctx.company.taxOverrides.delete(`${kind}:${stored.Id}`);
      };
      return { object, commit };
    },
    prepareDelete(ctx, existing) {
      if (kind === 'SalesReceipt') assertNotDeposited(ctx, kind, existing.Id);
      return () => {
        if (kind === 'Invoice' || kind === 'CreditMemo') unlinkPayments(ctx, kind, existing.Id);
      };
    },
    prepareVoid(ctx, existing) {
      if (kind === 'SalesReceipt') assertNotDeposited(ctx, kind, existing.Id);
      return { object: voided(existing), commit: () => unlinkPayments(ctx, kind, existing.Id) };
    },
  };
}

/**
 * What is still open after a change of total: payments already applied stay applied, so the open
 * amount moves by the change in total (and may not go below zero).
 */
function openAmount(existing: QboObject | undefined, field: string, totalCents: number): number {
  if (!existing) return totalCents;
  const applied = toCents(existing.TotalAmt ?? 0, 'TotalAmt') - toCents(existing[field] ?? 0, field);
  const open = totalCents - applied;
  if (open < 0) {
    throw faults.business(
      'The transaction total cannot be less than the amount already applied to it',
      'Line',
    );
  }
  return open;
}

/** A void keeps the transaction but zeroes its amounts and quantities and marks its memo. */
function voided(existing: QboObject): Json {
  const lines = ((existing.Line as Json[] | undefined) ?? []).map((line) => {
    const zeroed: Json = { ...line, Amount: 0 };
    if (line.SalesItemLineDetail)
      zeroed.SalesItemLineDetail = { ...(line.SalesItemLineDetail as Json), Qty: 0 };
    return zeroed;
  });
  const tax = (existing.TxnTaxDetail as Json | undefined) ?? {};
  const taxLines = ((tax.TaxLine as Json[] | undefined) ?? []).map((line) => ({ ...line, Amount: 0 }));
  const object: Json = {
    ...existing,
    Line: lines,
    TxnTaxDetail: { ...tax, TotalTax: 0, TaxLine: taxLines },
    TotalAmt: 0,
    Balance: 0,
    PrivateNote: voidedNote(existing.PrivateNote),
  };
  if (existing.HomeTotalAmt !== undefined) object.HomeTotalAmt = 0;
  if (existing.HomeBalance !== undefined) object.HomeBalance = 0;
  if (existing.LinkedTxn !== undefined) {
    object.LinkedTxn = (existing.LinkedTxn as Json[]).filter((link) => link.TxnType !== 'Payment');
  }
  return object;
}

export const invoiceHandler = salesForm('Invoice');
export const salesReceiptHandler = salesForm('SalesReceipt');
export const creditMemoHandler = salesForm('CreditMemo');
export const refundReceiptHandler = salesForm('RefundReceipt');
