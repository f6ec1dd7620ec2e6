import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from './errors.js';
import type { InvoiceStatus } from './invoice-status.js';
import { CurrencyMismatchError, MoneyError, money } from './money.js';
import {
  applyPayment,
  applyRefund,
  OverpaymentError,
  type PayableInvoice,
  RefundExceedsPaymentError,
  refundableAmount,
} from './payments.js';

const open = (total: number, amountPaid = 0): PayableInvoice => ({
  total,
  amountPaid,
  currency: 'USD',
  status: amountPaid > 0 ? 'partially_paid' : 'open',
});

describe('applyPayment', () => {
  it('partial then full payment', () => {
    const first = applyPayment(open(10_000), money(4_000, 'USD'));
    expect(first).toEqual({ amountPaid: 4_000, balance: 6_000, status: 'partially_paid' });
    const second = applyPayment({ ...open(10_000), ...first }, money(6_000, 'USD'));
    expect(second).toEqual({ amountPaid: 10_000, balance: 0, status: 'paid' });
  });

  it('an exact payment on an open invoice pays it directly', () => {
    expect(applyPayment(open(500), money(500, 'USD')).status).toBe('paid');
  });

  it('an uncollectible invoice can still be paid late', () => {
    const invoice: PayableInvoice = { ...open(1_000, 300), status: 'uncollectible' };
    expect(applyPayment(invoice, money(200, 'USD')).status).toBe('partially_paid');
    expect(applyPayment(invoice, money(700, 'USD')).status).toBe('paid');
  });

  it('refuses overpayment', () => {
    expect(() => applyPayment(open(1_000, 600), money(401, 'USD'))).toThrow(OverpaymentError);
    expect(() => applyPayment(open(1_000, 600), money(401, 'USD'))).toThrow(
      expect.objectContaining({ code: 'overpayment', payment: 401, balance: 400 }),
    );
  });

  it.each<InvoiceStatus>(['draft', 'paid', 'void', 'archived'])(
    'refuses payments on a %s invoice',
    (status) => {
      const invoice: PayableInvoice = {
        total: 1_000,
        amountPaid: status === 'paid' ? 1_000 : 0,
        currency: 'USD',
        status,
      };
      expect(() => applyPayment(invoice, money(1, 'USD'))).toThrow(IllegalTransitionError);
    },
  );

  it('refuses non-positive amounts, foreign currencies and inconsistent invoices', () => {
    expect(() => applyPayment(open(1_000), money(0, 'USD'))).toThrow(MoneyError);
    expect(() => applyPayment(open(1_000), money(-5, 'USD'))).toThrow(MoneyError);
    expect(() => applyPayment(open(1_000), { amount: 1.5, currency: 'USD' })).toThrow(MoneyError);
    expect(() => applyPayment(open(1_000), money(5, 'EUR'))).toThrow(CurrencyMismatchError);
    expect(() => applyPayment(open(1_000, 1_001), money(1, 'USD'))).toThrow(MoneyError);
  });

  it('any sequence of valid payments never exceeds the total, and is paid exactly when fully settled', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(fc.integer({ min: 1, max: 400_000 }), { maxLength: 30 }),
        (total, attempts) => {
          let invoice: PayableInvoice = open(total);
          for (const amount of attempts) {
            const balance = invoice.total - invoice.amountPaid;
            if (invoice.status === 'paid') {
              expect(() => applyPayment(invoice, money(amount, 'USD'))).toThrow(IllegalTransitionError);
              continue;
            }
            if (amount > balance) {
              expect(() => applyPayment(invoice, money(amount, 'USD'))).toThrow(OverpaymentError);
              continue;
            }
            const outcome = applyPayment(invoice, money(amount, 'USD'));
            expect(outcome.amountPaid).toBeLessThanOrEqual(total);
            expect(outcome.amountPaid + outcome.balance).toBe(total);
            expect(outcome.status === 'paid').toBe(outcome.amountPaid === total);
            invoice = { ...invoice, ...outcome };
          }
        },
      ),
    );
  });

  it('splitting the balance into any positive parts ends paid on the last part, never before', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 20 }), (parts) => {
        const total = parts.reduce((a, b) => a + b, 0);
        let invoice: PayableInvoice = open(total);
        parts.forEach((amount, index) => {
          invoice = { ...invoice, ...applyPayment(invoice, money(amount, 'USD')) };
          expect(invoice.status).toBe(index === parts.length - 1 ? 'paid' : 'partially_paid');
        });
        expect(invoice.amountPaid).toBe(total);
      }),
    );
  });
});

describe('refunds', () => {
  it('refunds partially and fully, without touching the invoice', () => {
    const payment = { amount: 1_000, refunded: 0, currency: 'USD' };
    expect(refundableAmount(payment)).toBe(1_000);
    const first = applyRefund(payment, money(300, 'USD'));
    expect(first).toEqual({ refunded: 300, fullyRefunded: false });
    expect(refundableAmount({ ...payment, ...first })).toBe(700);
    expect(applyRefund({ ...payment, ...first }, money(700, 'USD'))).toEqual({
      refunded: 1_000,
      fullyRefunded: true,
    });
  });

  it('refuses refunds beyond what was kept', () => {
    const payment = { amount: 1_000, refunded: 800, currency: 'USD' };
    expect(() => applyRefund(payment, money(201, 'USD'))).toThrow(RefundExceedsPaymentError);
    expect(() => applyRefund(payment, money(201, 'USD'))).toThrow(
      expect.objectContaining({ code: 'refund_exceeds_payment', refundable: 200 }),
    );
    expect(() => applyRefund(payment, money(0, 'USD'))).toThrow(MoneyError);
    expect(() => applyRefund(payment, money(10, 'EUR'))).toThrow(CurrencyMismatchError);
    expect(() => refundableAmount({ amount: 100, refunded: 101 })).toThrow(MoneyError);
  });

  it('the sum of accepted refunds never exceeds the payment', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.integer({ min: 1, max: 50_000 }), { maxLength: 20 }),
        (amount, refunds) => {
          let payment = { amount, refunded: 0, currency: 'EUR' };
          for (const refund of refunds) {
            const fits = refund <= amount - payment.refunded;
            if (!fits) {
              expect(() => applyRefund(payment, money(refund, 'EUR'))).toThrow(RefundExceedsPaymentError);
              continue;
            }
            payment = { ...payment, refunded: applyRefund(payment, money(refund, 'EUR')).refunded };
            expect(refundableAmount(payment)).toBeGreaterThanOrEqual(0);
          }
          expect(payment.refunded).toBeLessThanOrEqual(amount);
        },
      ),
    );
  });
});
