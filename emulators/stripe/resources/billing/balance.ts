import type Stripe from 'stripe';
import { z } from 'zod';
import { invalidRequest } from '../../kernel/errors.js';
import { stripeId } from '../../kernel/ids.js';
import { matchesCreated, newestFirst, paginate } from '../../kernel/list.js';
import { expand, listParams, parseParams, str } from '../../kernel/params.js';
import type { AccountState, StripeObject } from '../../kernel/state.js';
import type { ResourceModule } from '../../server.js';
import { book, type Env, type Stored } from './env.js';
import { stripeFee } from './money.js';

export type BalanceTransactionObject = Stored<Stripe.BalanceTransaction>;
export type PayoutObject = Stored<Stripe.Payout>;

/** Card funds become available two days after the charge (Stripe's US standard schedule). */
export const SETTLEMENT_DELAY = 2 * 86_400;

type Kind = 'charge' | 'refund' | 'payout';

/** Records money moving through the balance: a charge (with Stripe's fee), a refund or a payout. */
export function recordTransaction(
  env: Env,
  kind: Kind,
  source: { id: string; amount: number; currency: string; description: string | null },
): BalanceTransactionObject {
  const fee = kind === 'charge' ? stripeFee(source.amount, source.currency) : 0;
  const amount = kind === 'charge' ? source.amount : -source.amount;
  const availableOn = kind === 'charge' ? env.now + SETTLEMENT_DELAY : env.now;
  const txn: BalanceTransactionObject = {
    id: stripeId('txn'),
    object: 'balance_transaction',
    amount,
    available_on: availableOn,
    balance_type: 'payments',
    created: env.now,
    currency: source.currency,
    description: source.description,
    exchange_rate: null,
    fee,
    fee_details:
      fee > 0
        ? [
            {
              amount: fee,
              application: null,
              currency: source.currency,
              description: 'Stripe processing fees',
              type: 'stripe_fee',
            },
          ]
        : [],
    net: amount - fee,
    reporting_category: kind,
    source: source.id,
    status: availableOn <= env.now ? 'available' : 'pending',
    type: kind,
  };
  return env.account.insert(txn);
}

/** Pending funds whose `available_on` has passed become available; Stripe then sends balance.available. */
export function settle(env: Env): void {
  let changed = false;
  for (const txn of env.account.all<BalanceTransactionObject>('balance_transaction')) {
    if (txn.status === 'pending' && txn.available_on <= env.now) {
      txn.status = 'available';
      changed = true;
    }
  }
  // The event carries the balance itself, which (uniquely) has no id.
  if (changed) env.emit('balance.available', renderBalance(env.account) as unknown as StripeObject);
}

export function balanceBy(account: AccountState): Map<string, { available: number; pending: number }> {
  const sums = new Map<string, { available: number; pending: number }>([
    ['usd', { available: 0, pending: 0 }],
  ]);
  for (const txn of account.all<BalanceTransactionObject>('balance_transaction')) {
    const sum = sums.get(txn.currency) ?? { available: 0, pending: 0 };
    if (txn.status === 'available') sum.available += txn.net;
    else sum.pending += txn.net;
    sums.set(txn.currency, sum);
  }
  return sums;
}

export function renderBalance(account: AccountState): Stripe.Balance {
  const rows = [...balanceBy(account)];
  return {
    object: 'balance',
    available: rows.map(([currency, sum]) => ({
      amount: sum.available,
      currency,
      source_types: { card: sum.available },
    })),
    connect_reserved: rows.map(([currency]) => ({ amount: 0, currency })),
    livemode: false,
    pending: rows.map(([currency, sum]) => ({
      amount: sum.pending,
      currency,
      source_types: { card: sum.pending },
    })),
  };
}

const listSchema = z
  .object({
    ...listParams,
    payout: str(255).optional(),
    type: z.enum(['charge', 'refund', 'payout', 'payment', 'adjustment']).optional(),
    source: str(255).optional(),
    currency: z.string().optional(),
  })
  .strict();

export const balanceResource: ResourceModule = (router) => {
  router.get('/v1/balance', (ctx) => {
    parseParams(z.object({ expand: expand() }).strict(), ctx.params);
    settle(ctx);
    return renderBalance(ctx.account);
  });

  router.get('/v1/balance_transactions/:id', (ctx) => {
    settle(ctx);
    return ctx.account.get('balance_transaction', String(ctx.pathParams.id));
  });

  router.get('/v1/balance_transactions', (ctx) => {
    const params = parseParams(listSchema, ctx.params);
    settle(ctx);
    const sweptBy = book(ctx.account).payoutOfTxn;
    let payoutTxn: string | null = null;
    if (params.payout !== undefined) {
      const payout = ctx.account.get<PayoutObject>('payout', params.payout, 'payout');
      if (!payout.automatic) {
        throw invalidRequest(
          'Balance transaction history can only be filtered on automatic transfers, not manual.',
          { param: 'payout' },
        );
      }
      payoutTxn = typeof payout.balance_transaction === 'string' ? payout.balance_transaction : null;
    }
    const txns = ctx.account
      .all<BalanceTransactionObject>('balance_transaction')
      .filter(
        (txn) =>
          (params.payout === undefined || sweptBy.get(txn.id) === params.payout || txn.id === payoutTxn) &&
          (params.type === undefined || txn.type === params.type) &&
          (params.source === undefined || txn.source === params.source) &&
          (params.currency === undefined || txn.currency === params.currency.toLowerCase()) &&
          matchesCreated(txn.created, params.created),
      );
    return paginate(newestFirst(txns), params, '/v1/balance_transactions');
  });
};
