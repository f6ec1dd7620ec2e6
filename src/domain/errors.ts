/**
 * Every rule violation in the domain layer is a DomainError with a stable machine-readable `code`, so the
 * HTTP layer can map whole families of errors to status codes (400/409/422) without knowing each class.
 * Plain `Error`s thrown from this folder mean a programming bug, not bad input.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    // Keeps `err.name` meaningful in logs without every subclass repeating it.
    this.name = new.target.name;
  }
}

/** A currency code that is not an active ISO 4217 currency with minor units. */
export class UnknownCurrencyError extends DomainError {
  readonly code = 'unknown_currency';
  constructor(readonly currency: string) {
    super(`unknown currency code ${JSON.stringify(currency)}`);
  }
}

/** Two amounts in different currencies were combined; there is no implicit FX in this engine. */
export class CurrencyMismatchError extends DomainError {
  readonly code = 'currency_mismatch';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`currency mismatch: expected ${expected}, got ${actual}`);
  }
}

/** An amount that is not a safe integer of minor units, is out of range, or has too much precision. */
export class MoneyError extends DomainError {
  readonly code = 'invalid_amount';
}

/** A quantity or rate string that is not a plain decimal within the allowed range and precision. */
export class DecimalFormatError extends DomainError {
  readonly code = 'invalid_decimal';
}

/** Inputs that cannot form a valid invoice line (negative prices, discounts larger than the line). */
export class InvoiceMathError extends DomainError {
  readonly code = 'invoice_math';
}

/** A payment larger than what is still owed on the invoice. */
export class OverpaymentError extends DomainError {
  readonly code = 'overpayment';
  constructor(
    readonly payment: number,
    readonly balance: number,
    readonly currency: string,
  ) {
    super(`payment of ${payment} exceeds the outstanding balance of ${balance} (${currency} minor units)`);
  }
}

/** A refund larger than what is still refundable on the payment. */
export class RefundExceedsPaymentError extends DomainError {
  readonly code = 'refund_exceeds_payment';
  constructor(
    readonly refund: number,
    readonly refundable: number,
    readonly currency: string,
  ) {
    super(`refund of ${refund} exceeds the refundable amount of ${refundable} (${currency} minor units)`);
  }
}

/** An action that the named state machine does not allow from the current status. */
export class IllegalTransitionError extends DomainError {
  readonly code = 'illegal_transition';
  constructor(
    readonly machine: string,
    readonly from: string,
    readonly action: string,
    detail?: string,
  ) {
    super(
      detail ??
        `cannot ${action.replaceAll('_', ' ')} ${article(machine)} ${machine} that is ${from.replaceAll('_', ' ')} ` +
          `(${from} → ${action} is not allowed)`,
    );
  }
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? 'an' : 'a';
}
