import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { stripeId } from '../../kernel/ids.js';
import type { StripeError } from '../../kernel/errors.js';
import { recordTransaction } from './balance.js';
import { cardDetails, cardError, declineMessage, outcomeFor, type TestCard } from './cards.js';
import { EMPTY_ADDRESS, type Env, type Stored } from './env.js';

export type PaymentIntentObject = Stored<Stripe.PaymentIntent>;
export type ChargeObject = Stored<Stripe.Charge>;

export function newPaymentIntent(
  env: Env,
  fields: {
    amount: number;
    currency: string;
    customer: string | null;
    description: string | null;
    metadata?: Record<string, string>;
  },
): PaymentIntentObject {
  const id = stripeId('pi');
  const intent: PaymentIntentObject = {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: fields.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${randomBytes(12).toString('base64url')}`,
    confirmation_method: 'automatic',
    created: env.now,
    currency: fields.currency,
    customer: fields.customer,
    customer_account: null,
    description: fields.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: fields.metadata ?? {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
  env.account.insert(intent);
  env.emit('payment_intent.created', intent);
  return intent;
}

export interface Attempt {
  readonly charge: ChargeObject;
  /** The 402 card_error to answer with when the card was declined. */
  readonly error: StripeError | null;
}

/**
 * Confirms a PaymentIntent with a card: a charge either way; when approved, its balance
 * transaction with Stripe's fee, and the intent succeeds; when declined, the intent goes back to
 * requires_payment_method with `last_payment_error`. Events as Stripe sends them.
 */
export function attemptPayment(
  env: Env,
  intent: PaymentIntentObject,
  card: TestCard,
  billing: { name: string | null; email: string | null } = { name: null, email: null },
): Attempt {
  const paymentMethod = stripeId('pm');
  const message = declineMessage(card);
  const charge: ChargeObject = {
    id: stripeId('ch'),
    object: 'charge',
    amount: intent.amount,
    amount_captured: card.decline ? 0 : intent.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: {
      address: EMPTY_ADDRESS,
      email: billing.email,
      name: billing.name,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: env.account.displayName.toUpperCase().slice(0, 22),
    captured: !card.decline,
    created: env.now,
    currency: intent.currency,
    customer: typeof intent.customer === 'string' ? intent.customer : null,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: card.decline ? 'card_declined' : null,
    failure_message: message,
    fraud_details: {},
    livemode: false,
    metadata: { ...intent.metadata },
    on_behalf_of: null,
    outcome: outcomeFor(card),
    paid: !card.decline,
    payment_intent: intent.id,
    payment_method: paymentMethod,
    payment_method_details: { card: cardDetails(card, intent.amount), type: 'card' },
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    refunds: null,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: card.decline ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
  charge.refunds = { object: 'list', data: [], has_more: false, url: `/v1/charges/${charge.id}/refunds` };
  env.account.insert(charge);
  intent.latest_charge = charge.id;
  intent.payment_method = paymentMethod;
  if (card.decline) {
    intent.status = 'requires_payment_method';
    intent.last_payment_error = {
      charge: charge.id,
      code: 'card_declined',
      decline_code: card.decline,
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      message: message ?? '',
      type: 'card_error',
    };
    env.emit('charge.failed', charge);
    env.emit('payment_intent.payment_failed', intent);
    return { charge, error: cardError(card, { charge: charge.id, payment_intent: structuredClone(intent) }) };
  }
  const txn = recordTransaction(env, 'charge', {
    id: charge.id,
    amount: charge.amount,
    currency: charge.currency,
    description: charge.description,
  });
  charge.balance_transaction = txn.id;
  intent.status = 'succeeded';
  intent.amount_received = intent.amount;
  intent.last_payment_error = null;
  env.emit('charge.succeeded', charge);
  env.emit('payment_intent.succeeded', intent);
  return { charge, error: null };
}
