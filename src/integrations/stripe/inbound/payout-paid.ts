import type Stripe from 'stripe';
import { money, toDecimalString } from '../../../domain/index.js';
import { findPaymentByExternalId, findRefundByExternalId } from '../../../store/repositories/payments.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import { enqueueQboDeposit } from '../../quickbooks/sync/enqueue.js';
import { openAccess, readAll } from './context.js';
import { defineHandler, ignored, processed } from './handler.js';
import { insertPayoutItem, markPaymentsPaidOut, type PayoutItemRow, upsertPayout } from './store.js';
import { stripeActor } from './timeline.js';

/**
 * payout.paid: the payout is stored with the balance transactions it carried (`GET
 * /v1/balance_transactions?payout=po_…`) — charges, refunds, fees — each tied to our payment or
 * refund when it is one, and those payments are marked with the payout id: the basis for matching
 * bank deposits later. Stripe lists the transactions of automatic payouts only; a manual payout is
 * stored without them.
 */
interface CarriedTransaction {
  readonly id: string;
  readonly type: string;
  readonly sourceId: string | null;
  readonly paymentIntentId: string | null;
  readonly amount: number;
  readonly fee: number;
  readonly net: number;
  readonly currency: string;
}

type Fetched =
  | { readonly kind: 'skip'; readonly note: string }
  | {
      readonly kind: 'payout';
      readonly payout: Stripe.Payout;
      readonly account: string;
      readonly carried: readonly CarriedTransaction[] | null;
    };

function sourceOf(txn: Stripe.BalanceTransaction): {
  sourceId: string | null;
  paymentIntentId: string | null;
} {
  const source = txn.source;
  if (source === null) return { sourceId: null, paymentIntentId: null };
  if (typeof source === 'string') return { sourceId: source, paymentIntentId: null };
  const intent = 'payment_intent' in source ? source.payment_intent : null;
  return {
    sourceId: source.id,
    paymentIntentId:
      source.object === 'charge' && intent ? (typeof intent === 'string' ? intent : intent.id) : null,
  };
}

export const payoutPaid = defineHandler<Fetched>({
  fetch: async (deps, { tenantId, event }) => {
    const payout = event.data.object as Stripe.Payout;
    const access = await openAccess(deps, tenantId);
    if (!access) return { kind: 'skip', note: 'Stripe is no longer connected; nothing to read' };
    const account = access.connection.externalAccountId;
    if (!payout.automatic) return { kind: 'payout', payout, account, carried: null };
    const transactions = await readAll(access, `list the transactions of payout ${payout.id}`, (options) =>
      access.stripe.balanceTransactions.list(
        { payout: payout.id, limit: 100, expand: ['data.source'] },
        options,
      ),
    );
    const carried = transactions
      .filter((txn) => txn.type !== 'payout')
      .map((txn) => ({
        id: txn.id,
        type: txn.type,
        ...sourceOf(txn),
        amount: txn.amount,
        fee: txn.fee,
        net: txn.net,
        currency: txn.currency.toUpperCase(),
      }));
    return { kind: 'payout', payout, account, carried };
  },
  apply: async (tx, { tenantId }, fetched) => {
    if (fetched.kind === 'skip') return ignored(fetched.note);
    const { payout, carried } = fetched;
    const items: PayoutItemRow[] = [];
    for (const txn of carried ?? []) {
      const payment =
        txn.paymentIntentId === null
          ? undefined
          : await findPaymentByExternalId(tx, tenantId, 'stripe', txn.paymentIntentId);
      const refund =
        txn.type === 'refund' && txn.sourceId !== null
          ? await findRefundByExternalId(tx, tenantId, 'stripe', txn.sourceId)
          : undefined;
      items.push({
        balanceTransactionId: txn.id,
        type: txn.type,
        sourceId: txn.sourceId,
        amount: txn.amount,
        fee: txn.fee,
        net: txn.net,
        currency: txn.currency,
        paymentId: payment?.id ?? null,
        refundId: refund?.id ?? null,
      });
    }
    const sum = (pick: (item: PayoutItemRow) => number) =>
      carried === null ? null : items.reduce((total, item) => total + pick(item), 0);
    await upsertPayout(tx, tenantId, {
      id: payout.id,
      account: fetched.account,
      amount: payout.amount,
      currency: payout.currency.toUpperCase(),
      status: payout.status,
      arrivalDate: new Date(payout.arrival_date * 1000),
      automatic: payout.automatic,
      gross: sum((item) => item.amount),
      fee: sum((item) => item.fee),
      net: sum((item) => item.net),
    });
    for (const item of items) await insertPayoutItem(tx, tenantId, payout.id, item);
    // With QuickBooks deposits on, the payout becomes a Deposit (once its payments are in QuickBooks).
    if (payout.status === 'paid') await enqueueQboDeposit(tx, tenantId, payout.id);
    const marked = await markPaymentsPaidOut(
      tx,
      tenantId,
      payout.id,
      items.flatMap((item) => (item.paymentId === null ? [] : [item.paymentId])),
    );
    const total = `${toDecimalString(money(payout.amount, payout.currency.toUpperCase()))} ${payout.currency.toUpperCase()}`;
    for (const payment of marked) {
      if (payment.invoiceId === null) continue;
      await appendInvoiceEvent(tx, {
        ...stripeActor(tenantId),
        invoiceId: payment.invoiceId,
        kind: 'payment.paid_out',
        message: `Payment was paid out to the bank by Stripe (payout of ${total})`,
        data: { payment_id: payment.id, payout_id: payout.id, payout_amount: payout.amount },
      });
    }
    return processed;
  },
});
