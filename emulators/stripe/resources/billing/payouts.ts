import { z } from 'zod';
import { invalidRequest } from '../../kernel/errors.js';
import { stripeId } from '../../kernel/ids.js';
import { matchesCreated, newestFirst, paginate } from '../../kernel/list.js';
import { expand, int, listParams, metadata, mergeMetadata, parseParams, str } from '../../kernel/params.js';
import type { ResourceModule } from '../../server.js';
import {
  balanceBy,
  type BalanceTransactionObject,
  type PayoutObject,
  recordTransaction,
  settle,
} from './balance.js';
import { book, type Env } from './env.js';
import { currencyParam } from './items.js';

/** Standard payouts reach the bank a day after they are created (emulator schedule). */
export const PAYOUT_TRANSIT = 86_400;

/** The account's emulated bank account; a stable id per account. */
function bankAccount(env: Env): string {
  return `ba_${env.account.id.slice(5, 29).padEnd(24, '0')}`;
}

function createPayout(
  env: Env,
  fields: {
    amount: number;
    currency: string;
    automatic: boolean;
    description: string | null;
    metadata: Record<string, string>;
  },
): PayoutObject {
  const payout: PayoutObject = {
    id: stripeId('po'),
    object: 'payout',
    amount: fields.amount,
    application_fee: null,
    application_fee_amount: null,
    arrival_date: env.now + PAYOUT_TRANSIT,
    automatic: fields.automatic,
    balance_transaction: null,
    created: env.now,
    currency: fields.currency,
    description: fields.description,
    destination: bankAccount(env),
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: fields.metadata,
    method: 'standard',
    original_payout: null,
    payout_method: null,
    reconciliation_status: fields.automatic ? 'in_progress' : 'not_applicable',
    reversed_by: null,
    source_type: 'card',
    statement_descriptor: null,
    status: 'pending',
    trace_id: { status: 'pending', value: null },
    type: 'bank_account',
  };
  payout.balance_transaction = recordTransaction(env, 'payout', {
    id: payout.id,
    amount: payout.amount,
    currency: payout.currency,
    description: fields.description ?? 'STRIPE PAYOUT',
  }).id;
  env.account.insert(payout);
  env.emit('payout.created', payout);
  return payout;
}

/**
 * Stripe's automatic payout: for each currency, sweeps the whole available balance to the bank
 * and remembers which balance transactions it carried, for `?payout=` reconciliation.
 */
export function runAutomaticPayouts(env: Env): PayoutObject[] {
  settle(env);
  const swept = book(env.account).payoutOfTxn;
  const payouts: PayoutObject[] = [];
  for (const [currency, sums] of balanceBy(env.account)) {
    if (sums.available <= 0) continue;
    const carried = env.account
      .all<BalanceTransactionObject>('balance_transaction')
      .filter(
        (txn) =>
          txn.currency === currency &&
          txn.status === 'available' &&
          txn.type !== 'payout' &&
          !swept.has(txn.id),
      );
    const payout = createPayout(env, {
      amount: sums.available,
      currency,
      automatic: true,
      description: 'STRIPE PAYOUT',
      metadata: {},
    });
    for (const txn of carried) swept.set(txn.id, payout.id);
    payouts.push(payout);
  }
  return payouts;
}

/** Payouts whose arrival date has passed are paid (and automatic ones reconciled). */
export function completePayouts(env: Env): void {
  for (const payout of env.account.all<PayoutObject>('payout')) {
    if (payout.status !== 'pending' || payout.arrival_date > env.now) continue;
    payout.status = 'paid';
    payout.trace_id = { status: 'supported', value: `TRACE${payout.id.slice(3, 15).toUpperCase()}` };
    if (payout.automatic) payout.reconciliation_status = 'completed';
    env.emit('payout.paid', payout);
  }
}

const createSchema = z
  .object({
    amount: int(1),
    currency: currencyParam(),
    description: str(1000).optional(),
    destination: str(255).optional(),
    metadata: metadata(),
    method: z.enum(['standard', 'instant']).optional(),
    source_type: z.enum(['card', 'bank_account', 'fpx']).optional(),
    statement_descriptor: str(22).optional(),
    expand: expand(),
  })
  .strict();

export const payoutResource: ResourceModule = (router) => {
  router.post('/v1/payouts', (ctx) => {
    const params = parseParams(createSchema, ctx.params);
    settle(ctx);
    if (params.destination !== undefined && params.destination !== bankAccount(ctx)) {
      throw invalidRequest(`No such external account: '${params.destination}'`, {
        param: 'destination',
        code: 'resource_missing',
        status: 404,
      });
    }
    const available = balanceBy(ctx.account).get(params.currency)?.available ?? 0;
    if (params.amount > available) {
      throw invalidRequest(
        'You have insufficient funds in your Stripe account. One likely reason you have insufficient funds is that your funds are automatically being paid out; try enabling manual payouts by going to https://dashboard.stripe.com/account/payouts.',
        { code: 'balance_insufficient', param: 'amount' },
      );
    }
    const payout = createPayout(ctx, {
      amount: params.amount,
      currency: params.currency,
      automatic: false,
      description: params.description ?? null,
      metadata: mergeMetadata({}, params.metadata),
    });
    if (params.statement_descriptor !== undefined) payout.statement_descriptor = params.statement_descriptor;
    return payout;
  });

  router.get('/v1/payouts/:id', (ctx) => ctx.account.get('payout', String(ctx.pathParams.id)));

  const listSchema = z
    .object({
      ...listParams,
      status: z.enum(['pending', 'paid', 'failed', 'canceled', 'in_transit']).optional(),
      arrival_date: listParams.created,
      destination: str(255).optional(),
    })
    .strict();
  router.get('/v1/payouts', (ctx) => {
    const params = parseParams(listSchema, ctx.params);
    const payouts = ctx.account
      .all<PayoutObject>('payout')
      .filter(
        (payout) =>
          (params.status === undefined || payout.status === params.status) &&
          matchesCreated(payout.created, params.created) &&
          matchesCreated(payout.arrival_date, params.arrival_date),
      );
    return paginate(newestFirst(payouts), params, '/v1/payouts');
  });
};
