import { fromCents, toCents } from '../kernel/amounts.js';
import type { QboObject } from '../kernel/company.js';
import { faults } from '../kernel/faults.js';
import {
  type EntityHandler,
  type Json,
  namedRef,
  refId,
  requireRef,
  resolveRef,
  type WriteContext,
} from './context.js';
import { transactionCurrency, transactionHeader } from './transaction.js';

/**
 * Deposit: money put into a bank account. Lines with `LinkedTxn` take payments and sales receipts
 * out of Undeposited Funds (after which those cannot change: 6540); other lines post to an
 * account through `DepositLineDetail.AccountRef` (a negative fee line, for example).
 */
const DEPOSITABLE = new Set(['Payment', 'SalesReceipt', 'RefundReceipt']);
const DEPOSIT_ACCOUNT_TYPES = new Set(['Bank', 'Other Current Asset', 'Credit Card']);

function linkedKeys(deposit: Json | undefined): string[] {
  const keys: string[] = [];
  for (const line of (deposit?.Line as Json[] | undefined) ?? []) {
    for (const link of (line.LinkedTxn as Json[] | undefined) ?? [])
      keys.push(`${String(link.TxnType)}:${String(link.TxnId)}`);
  }
  return keys;
}

function release(ctx: WriteContext, deposit: Json | undefined): void {
  for (const key of linkedKeys(deposit)) ctx.company.depositedBy.delete(key);
}

function depositedAmount(txn: QboObject, type: string): number {
  const cents = toCents(txn.TotalAmt ?? 0, 'TotalAmt');
  return type === 'RefundReceipt' ? -cents : cents;
}

export const depositHandler: EntityHandler = {
  entity: 'Deposit',
  creatable: true,
  deletable: true,
  voidable: false,
  readOnly: ['TotalAmt', 'HomeTotalAmt'],
  prepare(ctx, input, existing) {
    const account = requireRef(ctx, 'Account', input.DepositToAccountRef, 'DepositToAccountRef');
    if (
      !DEPOSIT_ACCOUNT_TYPES.has(String(account.AccountType)) ||
      account.AccountSubType === 'UndepositedFunds'
    ) {
      throw faults.business('DepositToAccountRef must be a bank account', 'DepositToAccountRef');
    }
    const currency = transactionCurrency(ctx, input, undefined);
    const header = transactionHeader(ctx, 'Deposit', input, existing, { autoDocNumber: false });
    const rawLines = input.Line;
    if (!Array.isArray(rawLines) || rawLines.length === 0) throw faults.missing('Line');
    const ownKeys = new Set(linkedKeys(existing));
    const lines: Json[] = [];
    const newKeys: string[] = [];
    let totalCents = 0;
    let lineNumber = 0;
    for (const raw of rawLines as Json[]) {
      if (raw.Amount === undefined || raw.Amount === null) throw faults.missing('Line.Amount');
      const cents = toCents(raw.Amount, 'Line.Amount');
      const links = (
        Array.isArray(raw.LinkedTxn) ? raw.LinkedTxn : raw.LinkedTxn ? [raw.LinkedTxn] : []
      ) as Json[];
      if (links.length > 0) {
        const link = links[0] as Json;
        const type = String(link.TxnType);
        if (links.length > 1 || !DEPOSITABLE.has(type)) {
          throw faults.business(`A deposit line cannot link a ${type}`, 'Line.LinkedTxn.TxnType');
        }
        const txn = ctx.company.get(type, refId(link.TxnId) ?? '');
        if (!txn) throw faults.invalidReference('Line.LinkedTxn.TxnId');
        const key = `${type}:${txn.Id}`;
        if (refId(txn.DepositToAccountRef) !== ctx.company.undepositedFunds().Id) {
          throw faults.business(`${type} ${txn.Id} is not in Undeposited Funds`, 'Line.LinkedTxn');
        }
        if ((ctx.company.depositedBy.has(key) && !ownKeys.has(key)) || newKeys.includes(key)) {
          throw faults.business(`${type} ${txn.Id} has already been deposited`, 'Line.LinkedTxn');
        }
        if (cents !== depositedAmount(txn, type)) {
          throw faults.business(
            `The deposit line amount must equal the amount of ${type} ${txn.Id}`,
            'Line.Amount',
          );
        }
        newKeys.push(key);
        lines.push({
          Amount: fromCents(cents),
          LinkedTxn: [{ TxnId: txn.Id, TxnType: type, TxnLineId: '0' }],
        });
      } else {
        const detail = (raw.DepositLineDetail as Json | undefined) ?? {};
        const lineAccount = requireRef(
          ctx,
          'Account',
          detail.AccountRef,
          'Line.DepositLineDetail.AccountRef',
        );
        const out: Json = { ...detail, AccountRef: namedRef(lineAccount) };
        if (detail.Entity !== undefined) {
          const customer = resolveRef(ctx, 'Customer', detail.Entity, 'Line.DepositLineDetail.Entity');
          out.Entity = { ...namedRef(customer, 'DisplayName'), type: 'CUSTOMER' };
        }
        lineNumber += 1;
        lines.push({
          ...raw,
          Id: refId(raw.Id) ?? String(lineNumber),
          LineNum: lineNumber,
          Amount: fromCents(cents),
          DetailType: 'DepositLineDetail',
          DepositLineDetail: out,
        });
      }
      totalCents += cents;
    }
    if (totalCents < 0) throw faults.business('The deposit total cannot be negative', 'Line');
    const object: Json = {
      ...input,
      ...header,
      ...currency.json,
      DepositToAccountRef: namedRef(account),
      Line: lines,
      TotalAmt: fromCents(totalCents),
    };
    return {
      object,
      commit: (stored) => {
        release(ctx, existing);
        for (const key of newKeys) ctx.company.depositedBy.set(key, stored.Id);
      },
    };
  },
  prepareDelete(ctx, existing) {
    return () => release(ctx, existing);
  },
};
