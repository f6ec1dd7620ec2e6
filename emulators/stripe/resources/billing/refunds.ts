import type Stripe from 'stripe';
import { z } from 'zod';
import { invalidRequest } from '../../kernel/errors.js';
import { stripeId } from '../../kernel/ids.js';
import { matchesCreated, newestFirst, paginate } from '../../kernel/list.js';
import { expand, int, listParams, metadata, mergeMetadata, parseParams, str } from '../../kernel/params.js';
import type { ResourceModule } from '../../server.js';
import { recordTransaction } from './balance.js';
import { update, type Stored } from './env.js';
import { formatAmount } from './money.js';
import type { ChargeObject, PaymentIntentObject } from './payments.js';

export type RefundObject = Stored<Stripe.Refund>;

const createSchema = z
  .object({
    charge: str(255).optional(),
    payment_intent: str(255).optional(),
    amount: int(1).optional(),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
    metadata: metadata(),
    expand: expand(),
  })
  .strict();

export const refundResource: ResourceModule = (router) => {
  router.post('/v1/refunds', (ctx) => {
    const params = parseParams(createSchema, ctx.params);
    if ((params.charge === undefined) === (params.payment_intent === undefined)) {
      throw invalidRequest('You must pass exactly one of `charge` or `payment_intent`.', { param: 'charge' });
    }
    let charge: ChargeObject;
    if (params.payment_intent !== undefined) {
      const intent = ctx.account.get<PaymentIntentObject>(
        'payment_intent',
        params.payment_intent,
        'payment_intent',
      );
      if (intent.status !== 'succeeded' || typeof intent.latest_charge !== 'string') {
        throw invalidRequest(
          `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
          {
            param: 'payment_intent',
          },
        );
      }
      charge = ctx.account.get<ChargeObject>('charge', intent.latest_charge);
    } else {
      charge = ctx.account.get<ChargeObject>('charge', String(params.charge), 'charge');
    }
    if (charge.status !== 'succeeded') {
      throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be refunded.`, {
        param: 'charge',
      });
    }
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining === 0) {
      throw invalidRequest(`Charge ${charge.id} has already been refunded.`, {
        code: 'charge_already_refunded',
      });
    }
    const amount = params.amount ?? remaining;
    if (amount > remaining) {
      const limit = charge.amount_refunded === 0 ? 'charge amount' : 'unrefunded amount on charge';
      throw invalidRequest(
        `Refund amount (${formatAmount(amount, charge.currency)}) is greater than ${limit} (${formatAmount(remaining, charge.currency)})`,
        { param: 'amount', code: 'amount_too_large' },
      );
    }
    const refund: RefundObject = {
      id: stripeId('re'),
      object: 'refund',
      amount,
      balance_transaction: null,
      charge: charge.id,
      created: ctx.now,
      currency: charge.currency,
      customer: charge.customer,
      customer_account: null,
      destination_details: {
        card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
        type: 'card',
      },
      metadata: mergeMetadata({}, params.metadata),
      payment_intent: charge.payment_intent,
      payment_method: charge.payment_method,
      reason: params.reason ?? null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
    refund.balance_transaction = recordTransaction(ctx, 'refund', {
      id: refund.id,
      amount,
      currency: refund.currency,
      description: 'REFUND FOR CHARGE',
    }).id;
    ctx.account.insert(refund);
    ctx.emit('refund.created', refund);
    update(ctx, charge, 'charge.refunded', (target) => {
      target.amount_refunded += amount;
      target.refunded = target.amount_refunded === target.amount;
      const refunds = refundsOf(ctx.account.all<RefundObject>('refund'), target.id);
      target.refunds = {
        object: 'list',
        data: refunds,
        has_more: false,
        url: `/v1/charges/${target.id}/refunds`,
      };
    });
    return refund;
  });

  router.get('/v1/refunds/:id', (ctx) => ctx.account.get('refund', String(ctx.pathParams.id)));

  const listSchema = z
    .object({ ...listParams, charge: str(255).optional(), payment_intent: str(255).optional() })
    .strict();
  router.get('/v1/refunds', (ctx) => {
    const params = parseParams(listSchema, ctx.params);
    const refunds = ctx.account
      .all<RefundObject>('refund')
      .filter(
        (refund) =>
          (params.charge === undefined || refund.charge === params.charge) &&
          (params.payment_intent === undefined || refund.payment_intent === params.payment_intent) &&
          matchesCreated(refund.created, params.created),
      );
    return paginate(newestFirst(refunds), params, '/v1/refunds');
  });
};

function refundsOf(refunds: readonly RefundObject[], chargeId: string): RefundObject[] {
  return newestFirst(refunds.filter((refund) => refund.charge === chargeId));
}
