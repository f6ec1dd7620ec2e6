import { Decimal, ROUND_HALF_UP } from '../kernel/decimal.js';
import { fromCents, toCents } from '../kernel/amounts.js';

import { faults } from '../kernel/faults.js';
import {
  type EntityHandler,
  type Json,
  namedRef,
  refId,
  requireRef,
  resolveRef,
  touch,
  type WriteContext,
} from './context.js';
import { assertNotDeposited, transactionCurrency, transactionHeader, voidedNote } from './transaction.js';

/**
 * Payment: money received from a customer, applied through `Line[].LinkedTxn` to invoices (which
 * lowers their Balance, partially too) and credit memos. `TotalAmt` must cover what is applied; the
 * rest is `UnappliedAmt`. It lands in Undeposited Funds unless `DepositToAccountRef` says otherwise.
 */
type Applications = Map<string, number>;

const TARGETS: Readonly<Record<string, { open: string; sign: 1 | -1 }>> = {
  Invoice: { open: 'Balance', sign: 1 },
  CreditMemo: { open: 'RemainingCredit', sign: -1 },
};

function linkedTxns(line: Json): Json[] {
  const linked = line.LinkedTxn;
  if (Array.isArray(linked)) return linked as Json[];
  return linked && typeof linked === 'object' ? [linked as Json] : [];
}

/** `Invoice:12` → cents this payment applies to it. */
export function applicationsOf(payment: Json | undefined): Applications {
  const applications: Applications = new Map();
  for (const line of (payment?.Line as Json[] | undefined) ?? []) {
    for (const link of linkedTxns(line)) {
      const key = `${String(link.TxnType)}:${String(link.TxnId)}`;
      applications.set(key, (applications.get(key) ?? 0) + toCents(line.Amount ?? 0, 'Line.Amount'));
    }
  }
  return applications;
}

function appliedCents(applications: Applications): number {
  let applied = 0;
  for (const [key, cents] of applications) applied += (TARGETS[key.split(':')[0] ?? '']?.sign ?? 1) * cents;
  return applied;
}

/** Moves `deltaCents` of this payment onto (positive) or off (negative) an invoice or credit memo. */
function shiftApplication(
  ctx: WriteContext,
  key: string,
  paymentId: string,
  deltaCents: number,
  stillLinked: boolean,
): void {
  const [type = '', id = ''] = key.split(':');
  const target = ctx.company.get(type, id);
  const spec = TARGETS[type];
  if (!target || !spec) return;
  touch(ctx, type, target, (draft) => {
    const open = toCents(draft[spec.open] ?? 0, spec.open) - deltaCents;
    draft[spec.open] = fromCents(open);
    if (type === 'CreditMemo') draft.Balance = fromCents(open);
    if (draft.ExchangeRate !== undefined && type === 'Invoice') {
      draft.HomeBalance = fromCents(
        new Decimal(open).times(String(draft.ExchangeRate)).toDecimalPlaces(0, ROUND_HALF_UP).toNumber(),
      );
    }
    const links = ((draft.LinkedTxn as Json[] | undefined) ?? []).filter(
      (link) => !(link.TxnType === 'Payment' && link.TxnId === paymentId),
    );
    if (stillLinked) links.push({ TxnId: paymentId, TxnType: 'Payment' });
    draft.LinkedTxn = links;
  });
}

function reapply(ctx: WriteContext, paymentId: string, before: Applications, after: Applications): void {
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const delta = (after.get(key) ?? 0) - (before.get(key) ?? 0);
    const linkedBefore = before.has(key);
    const linkedAfter = after.has(key);
    if (delta !== 0 || linkedBefore !== linkedAfter)
      shiftApplication(ctx, key, paymentId, delta, linkedAfter);
  }
}

/** Payments lose their lines on an invoice or credit memo that is voided or deleted (they become unapplied credit). */
export function unlinkPayments(ctx: WriteContext, txnType: string, txnId: string): void {
  for (const payment of ctx.company.all('Payment')) {
    const lines = (payment.Line as Json[] | undefined) ?? [];
    const keep = lines.filter(
      (line) => !linkedTxns(line).some((link) => link.TxnType === txnType && String(link.TxnId) === txnId),
    );
    if (keep.length === lines.length) continue;
    touch(ctx, 'Payment', payment, (draft) => {
      draft.Line = keep;
      const applied = appliedCents(applicationsOf(draft));
      draft.UnappliedAmt = fromCents(toCents(draft.TotalAmt, 'TotalAmt') - applied);
    });
  }
}

export const paymentHandler: EntityHandler = {
  entity: 'Payment',
  creatable: true,
  deletable: true,
  voidable: true,
  readOnly: ['UnappliedAmt'],
  prepare(ctx, input, existing) {
    if (existing) assertNotDeposited(ctx, 'Payment', existing.Id);
    const customer = requireRef(ctx, 'Customer', input.CustomerRef, 'CustomerRef');
    if (input.TotalAmt === undefined || input.TotalAmt === null) throw faults.missing('TotalAmt');
    const totalCents = toCents(input.TotalAmt, 'TotalAmt');
    if (totalCents < 0) throw faults.business('The payment amount cannot be negative', 'TotalAmt');
    const currency = transactionCurrency(ctx, input, customer);
    const header = transactionHeader(ctx, 'Payment', input, existing, { autoDocNumber: false });
    const account =
      input.DepositToAccountRef === undefined || input.DepositToAccountRef === null
        ? ctx.company.undepositedFunds()
        : resolveRef(ctx, 'Account', input.DepositToAccountRef, 'DepositToAccountRef');

    const before = applicationsOf(existing);
    const lines: Json[] = [];
    for (const raw of (input.Line as Json[] | undefined) ?? []) {
      if (raw.Amount === undefined || raw.Amount === null) throw faults.missing('Line.Amount');
      const cents = toCents(raw.Amount, 'Line.Amount');
      if (cents < 0) throw faults.business('A payment line amount cannot be negative', 'Line.Amount');
      const links = linkedTxns(raw);
      if (links.length !== 1) throw faults.missing('Line.LinkedTxn');
      const link = links[0] as Json;
      const type = String(link.TxnType);
      const spec = TARGETS[type];
      if (!spec) throw faults.business(`A payment cannot be applied to a ${type}`, 'Line.LinkedTxn.TxnType');
      const target = ctx.company.get(type, refId(link.TxnId) ?? '');
      if (!target) throw faults.invalidReference('Line.LinkedTxn.TxnId');
      if (refId(target.CustomerRef) !== customer.Id) {
        throw faults.business(`${type} ${target.Id} belongs to another customer`, 'Line.LinkedTxn');
      }
      if (refId(target.CurrencyRef) !== refId(currency.json.CurrencyRef)) {
        throw faults.business(`${type} ${target.Id} is in another currency`, 'Line.LinkedTxn');
      }
      const open = toCents(target[spec.open] ?? 0, spec.open) + (before.get(`${type}:${target.Id}`) ?? 0);
      if (cents > open) {
        throw faults.business(
          `The amount applied to ${type} ${target.Id} is more than its open balance`,
          'Line.Amount',
        );
      }
      lines.push({ ...raw, Amount: fromCents(cents), LinkedTxn: [{ TxnId: target.Id, TxnType: type }] });
    }
    const after = applicationsOf({ Line: lines });
    const applied = appliedCents(after);
    if (applied < 0) throw faults.business('Credits applied cannot exceed the invoices they pay', 'Line');
    if (applied > totalCents) {
      throw faults.business(
        'The amount received must be at least the amount applied to transactions',
        'TotalAmt',
      );
    }
    const object: Json = {
      ProcessPayment: false,
      ...input,
      ...header,
      ...currency.json,
      CustomerRef: namedRef(customer, 'DisplayName'),
      DepositToAccountRef: namedRef(account),
      TotalAmt: fromCents(totalCents),
      UnappliedAmt: fromCents(totalCents - applied),
      Line: lines,
    };
    return { object, commit: (stored) => reapply(ctx, stored.Id, before, after) };
  },
  prepareDelete(ctx, existing) {
    assertNotDeposited(ctx, 'Payment', existing.Id);
    return () => reapply(ctx, existing.Id, applicationsOf(existing), new Map());
  },
  prepareVoid(ctx, existing) {
    assertNotDeposited(ctx, 'Payment', existing.Id);
    const object: Json = {
      ...existing,
      TotalAmt: 0,
      UnappliedAmt: 0,
      Line: [],
      PrivateNote: voidedNote(existing.PrivateNote),
    };
    return { object, commit: () => reapply(ctx, existing.Id, applicationsOf(existing), new Map()) };
  },
};
