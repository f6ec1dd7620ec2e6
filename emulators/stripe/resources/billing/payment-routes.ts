import { z } from 'zod';
import { invalidRequest } from '../../kernel/errors.js';
import { matchesCreated, newestFirst, paginate } from '../../kernel/list.js';
import {
  bool,
  expand,
  int,
  listParams,
  metadata,
  mergeMetadata,
  parseParams,
  str,
} from '../../kernel/params.js';
import type { ResourceModule } from '../../server.js';
import { getCustomer } from './catalog.js';
import { cardFromPaymentMethod } from './cards.js';
import { type InvoicePaymentObject, collectWithCard } from './invoice-payments.js';
import { currencyParam } from './items.js';
import type { InvoiceObject } from './lines.js';
import { exponent } from './money.js';
import { attemptPayment, type ChargeObject, newPaymentIntent, type PaymentIntentObject } from './payments.js';

const createSchema = z
  .object({
    amount: int(1, 99_999_999),
    currency: currencyParam(),
    customer: str(255).optional(),
    description: str(1000).optional(),
    metadata: metadata(),
    payment_method: str(255).optional(),
    payment_method_types: z.array(z.literal('card')).optional(),
    automatic_payment_methods: z
      .object({ enabled: bool(), allow_redirects: z.enum(['always', 'never']).optional() })
      .strict()
      .optional(),
    confirm: bool().optional(),
    return_url: z.string().optional(),
    expand: expand(),
  })
  .strict();
const confirmSchema = z
  .object({ payment_method: str(255).optional(), return_url: z.string().optional(), expand: expand() })
  .strict();

/** PaymentIntents (the minimum invoices and one-off card payments need) and the charges they make. */
export const paymentResource: ResourceModule = (router) => {
  router.post('/v1/payment_intents', (ctx) => {
    const params = parseParams(createSchema, ctx.params);
    if (exponent(params.currency) === 3 && params.amount % 10 !== 0) {
      throw invalidRequest(
        `Amounts in ${params.currency.toUpperCase()} must end in 0: card networks settle three-decimal currencies in multiples of 10.`,
        { param: 'amount', code: 'invalid_charge_amount' },
      );
    }
    if (params.customer !== undefined) getCustomer(ctx.account, params.customer);
    const card =
      params.payment_method === undefined ? undefined : cardFromPaymentMethod(params.payment_method);
    const intent = newPaymentIntent(ctx, {
      amount: params.amount,
      currency: params.currency,
      customer: params.customer ?? null,
      description: params.description ?? null,
      metadata: mergeMetadata({}, params.metadata),
    });
    if (card && !params.confirm) intent.status = 'requires_confirmation';
    if (card && params.confirm) {
      const attempt = attemptPayment(ctx, intent, card);
      if (attempt.error) throw attempt.error;
    }
    return intent;
  });

  router.get('/v1/payment_intents/:id', (ctx) =>
    ctx.account.get('payment_intent', String(ctx.pathParams.id)),
  );

  router.post('/v1/payment_intents/:id/confirm', (ctx) => {
    const intent = ctx.account.get<PaymentIntentObject>('payment_intent', String(ctx.pathParams.id));
    const params = parseParams(confirmSchema, ctx.params);
    if (intent.status === 'succeeded') {
      throw invalidRequest(
        'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.',
        { code: 'payment_intent_unexpected_state' },
      );
    }
    if (intent.status === 'canceled') {
      throw invalidRequest(
        'You cannot confirm this PaymentIntent because it has a status of canceled. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_action, requires_payment_method.',
        { code: 'payment_intent_unexpected_state' },
      );
    }
    const method =
      params.payment_method ??
      (typeof intent.payment_method === 'string' ? intent.payment_method : undefined);
    if (method === undefined) {
      throw invalidRequest(
        "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with a customer, you must provide the `payment_method` parameter.",
        { code: 'payment_intent_unexpected_state', param: 'payment_method' },
      );
    }
    const card = cardFromPaymentMethod(method);
    // An invoice's intent pays the invoice when it succeeds.
    const link = ctx.account
      .all<InvoicePaymentObject>('invoice_payment')
      .find((payment) => payment.payment.payment_intent === intent.id);
    const invoice = link ? ctx.account.find<InvoiceObject>('invoice', String(link.invoice)) : undefined;
    const attempt = invoice ? collectWithCard(ctx, invoice, card) : attemptPayment(ctx, intent, card);
    if (attempt.error) throw attempt.error;
    return intent;
  });

  const listIntents = z.object({ ...listParams, customer: str(255).optional() }).strict();
  router.get('/v1/payment_intents', (ctx) => {
    const params = parseParams(listIntents, ctx.params);
    const intents = ctx.account
      .all<PaymentIntentObject>('payment_intent')
      .filter(
        (intent) =>
          (params.customer === undefined || intent.customer === params.customer) &&
          matchesCreated(intent.created, params.created),
      );
    return paginate(newestFirst(intents), params, '/v1/payment_intents');
  });

  router.get('/v1/charges/:id', (ctx) => ctx.account.get('charge', String(ctx.pathParams.id)));

  const listCharges = z
    .object({ ...listParams, customer: str(255).optional(), payment_intent: str(255).optional() })
    .strict();
  router.get('/v1/charges', (ctx) => {
    const params = parseParams(listCharges, ctx.params);
    const charges = ctx.account
      .all<ChargeObject>('charge')
      .filter(
        (charge) =>
          (params.customer === undefined || charge.customer === params.customer) &&
          (params.payment_intent === undefined || charge.payment_intent === params.payment_intent) &&
          matchesCreated(charge.created, params.created),
      );
    return paginate(newestFirst(charges), params, '/v1/charges');
  });
};
