import { z } from 'zod';
import { invalidRequest, parameterMissing } from '../../kernel/errors.js';
import { stripeId } from '../../kernel/ids.js';
import { matchesCreated, newestFirst, paginate } from '../../kernel/list.js';
import { expand, int, listParams, metadata, mergeMetadata, parseParams, str } from '../../kernel/params.js';
import type { ResourceModule } from '../../server.js';
import { getCustomer, getPrice, getTaxRates, unitAmountDecimal } from './catalog.js';
import {
  cancelSubscription,
  invoicePeriod,
  periodBoundary,
  planOf,
  type SubscriptionItemObject,
  type SubscriptionObject,
} from './subscription-cycle.js';
import { currencyParam } from './items.js';

const createSchema = z
  .object({
    customer: str(255),
    items: z
      .array(
        z
          .object({
            price: str(255),
            quantity: int(0).optional(),
            metadata: metadata(),
            tax_rates: z.union([z.literal(''), z.array(str(255))]).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(20),
    collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
    currency: currencyParam().optional(),
    days_until_due: int(0, 10_000).optional(),
    default_tax_rates: z.union([z.literal(''), z.array(str(255))]).optional(),
    description: str(500).optional(),
    metadata: metadata(),
    payment_behavior: z
      .enum(['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'])
      .optional(),
    expand: expand(),
  })
  .strict();

export const subscriptionResource: ResourceModule = (router, deps) => {
  router.post('/v1/subscriptions', (ctx) => {
    const params = parseParams(createSchema, ctx.params);
    const customer = getCustomer(ctx.account, params.customer);
    const prices = params.items.map((item, i) => getPrice(ctx.account, item.price, `items[${i}][price]`));
    const first = prices[0];
    if (!first) throw parameterMissing('items');
    const currency = params.currency ?? first.currency;
    prices.forEach((price, i) => {
      if (price.type !== 'recurring' || !price.recurring) {
        throw invalidRequest(
          `The price specified (${price.id}) is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
          { param: `items[${i}][price]` },
        );
      }
      // A subscription in another currency than the price's needs it among the price's currency_options.
      unitAmountDecimal(price, currency, `items[${i}][price]`);
      if (
        price.recurring.interval !== first.recurring?.interval ||
        price.recurring.interval_count !== first.recurring.interval_count
      ) {
        throw invalidRequest('All prices on a subscription must have the same recurring interval.', {
          param: `items[${i}][price]`,
        });
      }
    });
    const method = params.collection_method ?? 'charge_automatically';
    if (method === 'send_invoice' && params.days_until_due === undefined)
      throw parameterMissing('days_until_due');
    if (method === 'charge_automatically' && params.days_until_due !== undefined) {
      throw invalidRequest('`days_until_due` can only be set when `collection_method` is `send_invoice`.', {
        param: 'days_until_due',
      });
    }
    const id = stripeId('sub');
    const anchor = ctx.now;
    const items: SubscriptionItemObject[] = params.items.map((item, i) => {
      const price = prices[i] ?? first;
      return {
        id: stripeId('si', 14),
        object: 'subscription_item',
        billing_thresholds: null,
        created: ctx.now,
        current_period_end: periodBoundary(
          anchor,
          price.recurring ?? { interval: 'month', interval_count: 1 },
          1,
        ),
        current_period_start: anchor,
        current_trial: null,
        discounts: [],
        metadata: mergeMetadata({}, item.metadata),
        plan: planOf(price),
        price: structuredClone(price),
        quantity: item.quantity ?? 1,
        subscription: id,
        tax_rates: item.tax_rates ? getTaxRates(ctx.account, item.tax_rates, `items[${i}][tax_rates]`) : [],
      };
    });
    const subscription: SubscriptionObject = {
      id,
      object: 'subscription',
      application: null,
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: anchor,
      billing_cycle_anchor_config: null,
      billing_mode: { flexible: null, type: 'classic' },
      billing_schedules: [],
      billing_thresholds: null,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
      collection_method: method,
      created: ctx.now,
      currency,
      customer: customer.id,
      customer_account: null,
      days_until_due: params.days_until_due ?? null,
      default_payment_method: null,
      default_source: null,
      default_tax_rates: params.default_tax_rates
        ? getTaxRates(ctx.account, params.default_tax_rates, 'default_tax_rates')
        : [],
      description: params.description ?? null,
      discounts: [],
      ended_at: null,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        description: null,
        footer: null,
        issuer: { type: 'self' },
      },
      items: {
        object: 'list',
        data: items,
        has_more: false,
        url: `/v1/subscription_items?subscription=${id}`,
      },
      latest_invoice: null,
      livemode: false,
      managed_payments: null,
      metadata: mergeMetadata({}, params.metadata),
      next_pending_invoice_item_invoice: null,
      on_behalf_of: null,
      pause_collection: null,
      payment_settings: {
        payment_method_options: null,
        payment_method_types: null,
        save_default_payment_method: 'off',
      },
      pending_invoice_item_interval: null,
      pending_setup_intent: null,
      pending_update: null,
      schedule: null,
      start_date: ctx.now,
      // Charged automatically, it stays incomplete until its first invoice is paid.
      status: method === 'send_invoice' ? 'active' : 'incomplete',
      test_clock: null,
      transfer_data: null,
      trial_end: null,
      trial_settings: {
        end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
      },
      trial_start: null,
    };
    ctx.account.insert(subscription);
    ctx.emit('customer.subscription.created', subscription);
    const period = { start: anchor, end: items[0]?.current_period_end ?? anchor };
    subscription.latest_invoice = invoicePeriod(
      ctx,
      subscription,
      'subscription_create',
      period,
      deps.baseUrl(),
    ).id;
    return subscription;
  });

  router.get('/v1/subscriptions/:id', (ctx) => ctx.account.get('subscription', String(ctx.pathParams.id)));

  const cancelSchema = z
    .object({
      cancellation_details: z
        .object({
          comment: z.union([z.literal(''), str(5000)]).optional(),
          feedback: z
            .enum([
              'customer_service',
              'low_quality',
              'missing_features',
              'other',
              'switched_service',
              'too_complex',
              'too_expensive',
              'unused',
            ])
            .optional(),
        })
        .strict()
        .optional(),
      expand: expand(),
    })
    .strict();
  router.delete('/v1/subscriptions/:id', (ctx) => {
    const subscription = ctx.account.get<SubscriptionObject>('subscription', String(ctx.pathParams.id));
    const params = parseParams(cancelSchema, ctx.params);
    if (subscription.status === 'canceled') {
      throw invalidRequest(`This subscription (${subscription.id}) has already been canceled.`, {
        code: 'resource_missing',
      });
    }
    cancelSubscription(ctx, subscription, {
      comment: params.cancellation_details?.comment || undefined,
      feedback: params.cancellation_details?.feedback,
    });
    return subscription;
  });

  const listSchema = z
    .object({
      ...listParams,
      customer: str(255).optional(),
      price: str(255).optional(),
      collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
      status: z
        .enum([
          'active',
          'all',
          'canceled',
          'ended',
          'incomplete',
          'incomplete_expired',
          'past_due',
          'paused',
          'trialing',
          'unpaid',
        ])
        .optional(),
    })
    .strict();
  router.get('/v1/subscriptions', (ctx) => {
    const params = parseParams(listSchema, ctx.params);
    const subscriptions = ctx.account.all<SubscriptionObject>('subscription').filter((subscription) => {
      // Without a status filter Stripe lists every subscription that has not been canceled.
      const status =
        params.status === undefined
          ? subscription.status !== 'canceled'
          : params.status === 'all' ||
            subscription.status === params.status ||
            (params.status === 'ended' && subscription.status === 'canceled');
      return (
        status &&
        (params.customer === undefined || subscription.customer === params.customer) &&
        (params.collection_method === undefined ||
          subscription.collection_method === params.collection_method) &&
        (params.price === undefined ||
          subscription.items.data.some((item) => item.price.id === params.price)) &&
        matchesCreated(subscription.created, params.created)
      );
    });
    return paginate(newestFirst(subscriptions), params, '/v1/subscriptions');
  });
};
