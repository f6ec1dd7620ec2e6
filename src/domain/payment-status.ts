import { defineStateMachine, type TransitionTable } from './state-machine.js';

/**
 * Lifecycle of one payment. Manual payments (cash, check) are recorded as succeeded straight away;
 * Stripe payments may sit in pending while a bank debit clears.
 */
export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'partially_refunded' | 'refunded';

export type PaymentAction = 'succeed' | 'fail' | 'refund_partially' | 'refund_fully';

export const PAYMENT_STATUSES: readonly PaymentStatus[] = Object.freeze([
  'pending',
  'succeeded',
  'failed',
  'partially_refunded',
  'refunded',
]);

/*
 * Refunds only ever move forward (partially → fully refunded); a refund is money sent back and is not
 * undone. Pending and failed payments never count towards an invoice's amountPaid; succeeded ones do,
 * and keep counting after a refund (see payments.ts).
 */
export const paymentTransitions: TransitionTable<PaymentStatus, PaymentAction> = {
  pending: { succeed: 'succeeded', fail: 'failed' },
  succeeded: { refund_partially: 'partially_refunded', refund_fully: 'refunded' },
  partially_refunded: { refund_partially: 'partially_refunded', refund_fully: 'refunded' },
  failed: {},
  refunded: {},
};

export const paymentMachine = defineStateMachine<PaymentStatus, PaymentAction>('payment', paymentTransitions);

export function transitionPayment(from: PaymentStatus, action: PaymentAction): PaymentStatus {
  return paymentMachine.next(from, action);
}
