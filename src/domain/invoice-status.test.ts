import { describe, expect, it } from 'vitest';
import { DomainError, IllegalTransitionError } from './errors.js';
import {
  assertInvoiceDeletable,
  canDeleteInvoice,
  canTransitionInvoice,
  INVOICE_STATUSES,
  type InvoiceAction,
  type InvoiceStatus,
  invoiceMachine,
  invoiceTransitions,
  transitionInvoice,
} from './invoice-status.js';

const ACTIONS: readonly InvoiceAction[] = [
  'send',
  'record_partial_payment',
  'record_full_payment',
  'void',
  'mark_uncollectible',
  'archive',
  'unarchive',
];

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('invoice lifecycle', () => {
  it.each<[InvoiceStatus, InvoiceAction, InvoiceStatus]>([
    ['draft', 'send', 'open'],
    ['open', 'record_partial_payment', 'partially_paid'],
    ['open', 'record_full_payment', 'paid'],
    ['partially_paid', 'record_partial_payment', 'partially_paid'],
    ['partially_paid', 'record_full_payment', 'paid'],
    ['open', 'void', 'void'],
    ['open', 'mark_uncollectible', 'uncollectible'],
    ['partially_paid', 'mark_uncollectible', 'uncollectible'],
    ['uncollectible', 'record_partial_payment', 'partially_paid'],
    ['uncollectible', 'record_full_payment', 'paid'],
    ['uncollectible', 'void', 'void'],
  ])('%s --%s--> %s', (from, action, to) => {
    expect(transitionInvoice(from, action)).toBe(to);
    expect(canTransitionInvoice(from, action)).toBe(true);
  });

  it('the table is the only source of truth: every other pair is rejected', () => {
    for (const from of INVOICE_STATUSES) {
      for (const action of ACTIONS) {
        const target = invoiceTransitions[from][action];
        if (target === undefined) {
          expect(canTransitionInvoice(from, action)).toBe(false);
          expect(() => transitionInvoice(from, action)).toThrow(IllegalTransitionError);
        }
      }
    }
  });

  it.each<[InvoiceStatus, InvoiceAction]>([
    ['draft', 'void'],
    ['draft', 'record_full_payment'],
    ['paid', 'void'],
    ['paid', 'record_partial_payment'],
    ['void', 'send'],
    ['void', 'record_full_payment'],
    ['partially_paid', 'void'],
    ['open', 'send'],
    ['archived', 'archive'],
    ['archived', 'record_full_payment'],
  ])('%s → %s is illegal', (from, action) => {
    expect(() => transitionInvoice(from, action)).toThrow(IllegalTransitionError);
  });

  it('paid and void are final apart from archiving', () => {
    expect(invoiceMachine.actions('paid')).toEqual(['archive']);
    expect(invoiceMachine.actions('void')).toEqual(['archive']);
  });

  it('reports a descriptive error with a stable code', () => {
    const error = thrown(() => transitionInvoice('paid', 'void'));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'illegal_transition',
      machine: 'invoice',
      from: 'paid',
      action: 'void',
    });
    expect((error as Error).message).toBe('cannot void an invoice that is paid (paid → void is not allowed)');
    expect((error as Error).name).toBe('IllegalTransitionError');
  });

  it('only drafts can be deleted', () => {
    expect(canDeleteInvoice('draft')).toBe(true);
    for (const status of INVOICE_STATUSES.filter((s) => s !== 'draft')) {
      expect(canDeleteInvoice(status)).toBe(false);
      expect(() => assertInvoiceDeletable(status)).toThrow(IllegalTransitionError);
    }
  });
});

describe('archiving', () => {
  it('archives from every other status and unarchives back to it', () => {
    for (const status of INVOICE_STATUSES.filter((s) => s !== 'archived')) {
      expect(transitionInvoice(status, 'archive')).toBe('archived');
      expect(canTransitionInvoice('archived', 'unarchive', { archivedFrom: status })).toBe(true);
      expect(transitionInvoice('archived', 'unarchive', { archivedFrom: status })).toBe(status);
    }
  });

  it('refuses to restore to archived itself', () => {
    expect(() => transitionInvoice('archived', 'unarchive', { archivedFrom: 'archived' })).toThrow(
      IllegalTransitionError,
    );
    expect(canTransitionInvoice('archived', 'unarchive', { archivedFrom: 'archived' })).toBe(false);
  });

  it('treats a missing archivedFrom as a programming error, not a domain error', () => {
    const error = thrown(() => transitionInvoice('archived', 'unarchive'));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DomainError);
  });

  it('unarchive is illegal for an invoice that is not archived', () => {
    expect(() => transitionInvoice('open', 'unarchive', { archivedFrom: 'draft' })).toThrow(
      IllegalTransitionError,
    );
  });
});
