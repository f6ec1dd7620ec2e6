import { fromCents, toCents } from './amounts.js';
import type { Company, QboObject } from './company.js';

/**
 * The running balances QuickBooks keeps beside the transactions: a customer's `Balance` (what it
 * owes: open invoices less open credits and unapplied payments) and a balance-sheet account's
 * `CurrentBalance` (Undeposited Funds holds payments until a deposit moves them to the bank; A/R
 * holds what customers owe). Applied as a transaction is stored (+1) or replaced/removed (−1).
 */
export function applyBalances(
  company: Company,
  entity: string,
  object: QboObject | undefined,
  sign: 1 | -1,
): void {
  if (!object) return;
  const customerId = refValue(object.CustomerRef);
  const receivable = receivableCents(entity, object);
  if (customerId && receivable !== 0) {
    const customer = company.get('Customer', customerId);
    if (customer) {
      const balance = toCents(customer.Balance ?? 0, 'Balance') + sign * receivable;
      customer.Balance = fromCents(balance);
      customer.BalanceWithJobs = fromCents(balance);
    }
  }
  for (const [accountId, cents] of postings(company, entity, object, receivable)) {
    const account = company.get('Account', accountId);
    if (!account || cents === 0) continue;
    const balance = toCents(account.CurrentBalance ?? 0, 'CurrentBalance') + sign * cents;
    account.CurrentBalance = fromCents(balance);
    account.CurrentBalanceWithSubAccounts = fromCents(balance);
  }
}

/** What a transaction adds to its customer's open balance. */
function receivableCents(entity: string, object: QboObject): number {
  const cents = (field: string) => toCents(object[field] ?? 0, field);
  if (entity === 'Invoice') return cents('Balance');
  if (entity === 'CreditMemo') return -cents('RemainingCredit');
  if (entity === 'Payment') return -cents('UnappliedAmt');
  return 0;
}

/** Account Id → cents the transaction moves into (positive) or out of it, balance-sheet side only. */
function postings(
  company: Company,
  entity: string,
  object: QboObject,
  receivable: number,
): Map<string, number> {
  const moves = new Map<string, number>();
  const move = (accountId: string | undefined, cents: number) => {
    if (accountId) moves.set(accountId, (moves.get(accountId) ?? 0) + cents);
  };
  const total = toCents(object.TotalAmt ?? 0, 'TotalAmt');
  if (receivable !== 0) move(receivableAccountId(company), receivable);
  if (entity === 'Payment' || entity === 'SalesReceipt') move(refValue(object.DepositToAccountRef), total);
  if (entity === 'RefundReceipt') move(refValue(object.DepositToAccountRef), -total);
  if (entity === 'Deposit') {
    move(refValue(object.DepositToAccountRef), total);
    for (const line of (object.Line as Record<string, unknown>[] | undefined) ?? []) {
      const amount = toCents(line.Amount ?? 0, 'Line.Amount');
      const links = (line.LinkedTxn as Record<string, unknown>[] | undefined) ?? [];
      const link = links[0];
      if (link) {
        const source = company.get(String(link.TxnType), String(link.TxnId));
        move(refValue(source?.DepositToAccountRef), -amount);
      } else {
        move(refValue((line.DepositLineDetail as Record<string, unknown> | undefined)?.AccountRef), -amount);
      }
    }
  }
  for (const accountId of moves.keys()) {
    const classification = company.get('Account', accountId)?.Classification;
    if (classification !== 'Asset' && classification !== 'Liability') moves.delete(accountId);
  }
  return moves;
}

function receivableAccountId(company: Company): string | undefined {
  return company.all('Account').find((account) => account.AccountSubType === 'AccountsReceivable')?.Id;
}

function refValue(ref: unknown): string | undefined {
  const value = (ref as { value?: unknown } | undefined)?.value;
  return typeof value === 'string' ? value : undefined;
}
