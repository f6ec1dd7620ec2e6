import type Stripe from 'stripe';
import { invalidRequest, resourceMissing, StripeError } from '../../kernel/errors.js';
import type { Wire } from './env.js';

/** A test card as Stripe's test mode treats it: its network, and how the issuer answers. */
export interface TestCard {
  readonly number: string;
  readonly brand: string;
  readonly funding: 'credit' | 'debit';
  /** undefined: approved; otherwise the decline code the issuer returns. */
  readonly decline?: 'generic_decline' | 'insufficient_funds';
  readonly expMonth: number;
  readonly expYear: number;
}

const CARDS: Readonly<Record<string, Omit<TestCard, 'number' | 'expMonth' | 'expYear'>>> = {
  '4242424242424242': { brand: 'visa', funding: 'credit' },
  '4000056655665556': { brand: 'visa', funding: 'debit' },
  '5555555555554444': { brand: 'mastercard', funding: 'credit' },
  '4000000000000002': { brand: 'visa', funding: 'credit', decline: 'generic_decline' },
  '4000000000009995': { brand: 'visa', funding: 'credit', decline: 'insufficient_funds' },
};

/** Stripe's test PaymentMethod ids, each standing for one of the test cards. */
const TEST_PAYMENT_METHODS: Readonly<Record<string, string>> = {
  pm_card_visa: '4242424242424242',
  pm_card_visa_debit: '4000056655665556',
  pm_card_mastercard: '5555555555554444',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
};

const DECLINE_MESSAGES = {
  generic_decline: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
} as const;

export function cardFromPaymentMethod(id: string, param = 'payment_method'): TestCard {
  const number = TEST_PAYMENT_METHODS[id];
  if (!number) throw resourceMissing('PaymentMethod', id, param);
  return cardFromNumber(number, 12, new Date().getUTCFullYear() + 3);
}

/** A card typed into the hosted page: spaces allowed, unknown numbers refused as Stripe does. */
export function cardFromNumber(raw: string, expMonth: number, expYear: number): TestCard {
  const number = raw.replace(/[\s-]/g, '');
  const known = CARDS[number];
  if (!known) {
    throw new StripeError(402, {
      type: 'card_error',
      code: 'incorrect_number',
      param: 'number',
      message: 'Your card number is incorrect.',
    });
  }
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12) {
    throw new StripeError(402, {
      type: 'card_error',
      code: 'invalid_expiry_month',
      param: 'exp_month',
      message: "Your card's expiration month is invalid.",
    });
  }
  return { number, ...known, expMonth, expYear };
}

export function declineMessage(card: TestCard): string | null {
  return card.decline ? DECLINE_MESSAGES[card.decline] : null;
}

export function cardDetails(card: TestCard, amount: number): Wire<Stripe.Charge.PaymentMethodDetails.Card> {
  return {
    amount_authorized: card.decline ? null : amount,
    authorization_code: card.decline ? null : '123456',
    brand: card.brand,
    checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
    country: 'US',
    electronic_commerce_indicator: null,
    exp_month: card.expMonth,
    exp_year: card.expYear,
    extended_authorization: { status: 'disabled' },
    fingerprint: `fp${card.number.slice(-8)}${card.brand.slice(0, 4)}`,
    funding: card.funding,
    incremental_authorization: { status: 'unavailable' },
    installments: null,
    last4: card.number.slice(-4),
    mandate: null,
    multicapture: { status: 'unavailable' },
    network: card.brand,
    network_token: { used: false },
    network_transaction_id: card.decline ? null : '104102978678771',
    overcapture: { maximum_amount_capturable: amount, status: 'unavailable' },
    regulated_status: 'unregulated',
    three_d_secure: null,
    transaction_link_id: null,
    wallet: null,
  };
}

export function outcomeFor(card: TestCard): Stripe.Charge.Outcome {
  if (!card.decline) {
    return {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'normal',
      risk_score: 32,
      seller_message: 'Payment complete.',
      type: 'authorized',
    };
  }
  return {
    advice_code: card.decline === 'insufficient_funds' ? 'try_again_later' : 'do_not_try_again',
    network_advice_code: null,
    network_decline_code: card.decline === 'insufficient_funds' ? '51' : '05',
    network_status: 'declined_by_network',
    reason: card.decline,
    risk_level: 'normal',
    risk_score: 32,
    seller_message:
      card.decline === 'generic_decline'
        ? 'The bank did not return any further details with this decline.'
        : 'The bank returned the decline code `insufficient_funds`.',
    type: 'issuer_declined',
  };
}

/** The 402 `card_error` Stripe answers a declined payment with. */
export function cardError(card: TestCard, extra: { charge: string; payment_intent?: unknown }): StripeError {
  if (!card.decline) throw invalidRequest('card_error for an approved card');
  return new StripeError(402, {
    type: 'card_error',
    code: 'card_declined',
    decline_code: card.decline,
    message: DECLINE_MESSAGES[card.decline],
    doc_url: 'https://stripe.com/docs/error-codes/card-declined',
    charge: extra.charge,
    ...(extra.payment_intent ? { payment_intent: extra.payment_intent } : {}),
  });
}
