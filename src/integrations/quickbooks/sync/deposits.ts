import { money, toDecimalString } from '../../../domain/index.js';
import { PermanentJobError, RetryAfterError } from '../../../jobs/errors.js';
import { findLinkByLocal, upsertLink } from '../../../store/repositories/external-links.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import type { QboObject } from '../types.js';
import { fromQboAmount, toQboAmount } from './amounts.js';
import { noteTag, type QboSyncContext, qbo, quote, requestIdFor } from './context.js';
import { currencyFacts, undepositedFundsAccountId } from './facts.js';
import { QBO_ACTOR } from './invoice-push.js';
import { createOnce } from './writes.js';

/**
 * A paid Stripe payout → one QuickBooks Deposit into settings.deposit_account_id whose total is the
 * payout amount, i.e. what reached the bank:
 * - one line per payment it carried, linked to that payment's QuickBooks Payment or SalesReceipt at
 *   its gross amount (moving it out of Undeposited Funds);
 * - refunds it netted, as negative lines against Undeposited Funds (where their RefundReceipts drew);
 * - anything else Stripe moved (adjustments, disputes), as lines against the fee account;
 * - one negative line for Stripe's fees, against settings.fee_account_id.
 * Σ lines = Σ gross − Σ fees = Σ net = the payout. The deposit waits (retries later) until every
 * carried payment is in QuickBooks: a Deposit cannot link what is not there.
 */
export const WAIT_FOR_PAYMENTS_MS = 60_000;

interface PayoutRow {
  [column: string]: unknown;
  id: string;
  amount: string | number;
  currency: string;
  arrival_date: Date | null;
  automatic: boolean;
}

interface ItemRow {
  [column: string]: unknown;
  balance_transaction_id: string;
  type: string;
  source_id: string | null;
  amount: string | number;
  fee: string | number;
  net: string | number;
  payment_id: string | null;
  refund_id: string | null;
  invoice_id: string | null;
}

export interface DepositSyncResult {
  readonly quickbooks_deposit_id: string | null;
  readonly action: 'created' | 'found' | 'unchanged';
  readonly lines?: number;
}

export async function pushDeposit(ctx: QboSyncContext, payoutId: string): Promise<DepositSyncResult> {
  const { settings } = ctx;
  if (!settings.create_deposits)
    throw new PermanentJobError('create_deposits is off for this QuickBooks connection');
  if (settings.deposit_account_id === null || settings.fee_account_id === null) {
    throw new PermanentJobError(
      'deposit_account_id and fee_account_id must be set to create QuickBooks deposits',
    );
  }
  const ref = { tenantId: ctx.tenantId, provider: 'quickbooks' as const };
  const link = await findLinkByLocal(ctx.db, { ...ref, localType: 'payout', localId: payoutId });
  if (link) return { quickbooks_deposit_id: link.externalId, action: 'unchanged' };

  const [payout] = await ctx.db.query<PayoutRow>(
    'SELECT id, amount, currency, arrival_date, automatic FROM stripe_payouts WHERE tenant_id = $1 AND id = $2',
    [ctx.tenantId, payoutId],
  );
  if (!payout) throw new PermanentJobError(`payout ${payoutId} is not stored`);
  if (!payout.automatic) {
    throw new PermanentJobError(
      `payout ${payoutId} is a manual Stripe payout: Stripe does not list what it carried, so it is left to manual reconciliation`,
    );
  }
  const items = await ctx.db.query<ItemRow>(
    `SELECT i.*, p.invoice_id FROM stripe_payout_items i
     LEFT JOIN payments p ON p.tenant_id = i.tenant_id AND p.id = i.payment_id
     WHERE i.tenant_id = $1 AND i.payout_id = $2 ORDER BY i.balance_transaction_id`,
    [ctx.tenantId, payoutId],
  );
  const currency = payout.currency;
  const amount = (value: string | number) => toQboAmount(Number(value), currency);
  const lines: QboObject[] = [];
  const waiting: string[] = [];
  const deposited: { paymentId: string; invoiceId: string }[] = [];
  let undeposited: string | undefined;
  let fees = 0;
  for (const item of items) {
    fees += Number(item.fee);
    if (item.payment_id !== null) {
      const paymentLink = await findLinkByLocal(ctx.db, {
        ...ref,
        localType: 'payment',
        localId: item.payment_id,
      });
      if (!paymentLink) {
        waiting.push(item.payment_id);
        continue;
      }
      const txnType = paymentLink.data.entity === 'SalesReceipt' ? 'SalesReceipt' : 'Payment';
      lines.push({
        Amount: amount(item.amount),
        LinkedTxn: [{ TxnId: paymentLink.externalId, TxnType: txnType }],
      });
      if (item.invoice_id !== null)
        deposited.push({ paymentId: item.payment_id, invoiceId: item.invoice_id });
      continue;
    }
    if (Number(item.amount) === 0) continue;
    const refund = item.type === 'refund' || item.refund_id !== null;
    if (refund) undeposited ??= await undepositedFundsAccountId(ctx);
    lines.push({
      Amount: amount(item.amount),
      Description:
        `Stripe ${item.type.replaceAll('_', ' ')} ${item.source_id ?? item.balance_transaction_id}`.slice(
          0,
          4000,
        ),
      DetailType: 'DepositLineDetail',
      DepositLineDetail: { AccountRef: { value: refund ? (undeposited ?? '') : settings.fee_account_id } },
    });
  }
  if (waiting.length > 0) {
    throw new RetryAfterError(
      `waiting for ${waiting.length} payment(s) of payout ${payoutId} to reach QuickBooks (${waiting.slice(0, 5).join(', ')})`,
      WAIT_FOR_PAYMENTS_MS,
    );
  }
  if (fees !== 0) {
    lines.push({
      Amount: amount(-fees),
      Description: `Stripe fees on payout ${payoutId}`,
      DetailType: 'DepositLineDetail',
      DepositLineDetail: { AccountRef: { value: settings.fee_account_id } },
    });
  }
  const net = items.reduce((total, item) => total + Number(item.net), 0);
  const payoutAmount = Number(payout.amount);
  const show = (minor: number) => `${toDecimalString(money(minor, currency))} ${currency}`;
  if (net !== payoutAmount || lines.length === 0) {
    throw new PermanentJobError(
      `payout ${payoutId} of ${show(payoutAmount)} carried transactions netting ${show(net)}; ` +
        'the deposit would not match the bank, so it is left to manual reconciliation',
    );
  }

  const { home } = await currencyFacts(ctx);
  const date = (payout.arrival_date ?? new Date()).toISOString().slice(0, 10);
  const body: QboObject = {
    TxnDate: date,
    DepositToAccountRef: { value: settings.deposit_account_id },
    ...(currency === home ? {} : { CurrencyRef: { value: currency } }),
    PrivateNote: `${noteTag(payoutId)} — Stripe payout`,
    Line: lines,
  };
  const { object, found } = await createOnce(
    ctx,
    `record the deposit of payout ${payoutId} in QuickBooks`,
    'Deposit',
    body,
    requestIdFor(ctx, 'deposit', payoutId),
    async () => {
      const rows = await qbo('look up deposits in QuickBooks', () =>
        ctx.client.query(`SELECT * FROM Deposit WHERE TxnDate = ${quote(date)}`),
      );
      return rows.find((row) => String(row.PrivateNote ?? '').includes(noteTag(payoutId)));
    },
  );
  if (object.Id === undefined) throw new PermanentJobError('QuickBooks returned a Deposit without an Id');
  const total = fromQboAmount(object.TotalAmt, currency);
  if (total !== payoutAmount) {
    throw new PermanentJobError(
      `QuickBooks Deposit ${object.Id} totals ${String(object.TotalAmt)} ${currency}, not the payout's ${show(payoutAmount)}`,
    );
  }
  const id = object.Id;
  await ctx.db.transaction(async (tx) => {
    await upsertLink(tx, {
      ...ref,
      localType: 'payout',
      localId: payoutId,
      externalId: id,
      externalAccount: ctx.realmId,
      data: { entity: 'Deposit', sync_token: object.SyncToken, total: object.TotalAmt },
    });
    for (const { paymentId, invoiceId } of deposited) {
      await appendInvoiceEvent(tx, {
        tenantId: ctx.tenantId,
        invoiceId,
        actor: QBO_ACTOR,
        system: 'quickbooks',
        kind: 'quickbooks.payment_deposited',
        message: `Payment was deposited in QuickBooks (payout of ${show(payoutAmount)})`,
        data: { payment_id: paymentId, payout_id: payoutId, quickbooks_deposit_id: id },
      });
    }
  });
  return { quickbooks_deposit_id: id, action: found ? 'found' : 'created', lines: lines.length };
}
