import { describe, expect, it } from 'vitest';
import { billableTransitions, transitionBillable } from './billable-status.js';
import { IllegalTransitionError } from './errors.js';
import { transitionPayment } from './payment-status.js';
import { defineStateMachine, PREVIOUS } from './state-machine.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('generic state machine', () => {
  const machine = defineStateMachine<'a' | 'b' | 'c', 'go' | 'hide' | 'back'>('widget', {
    a: { go: 'b' },
    b: { hide: 'c' },
    c: { back: PREVIOUS },
  });

  it('only restores to a status from which the current one is reachable', () => {
    expect(machine.next('c', 'back', { previous: 'b' })).toBe('b');
    const error = thrown(() => machine.next('c', 'back', { previous: 'a' }));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ machine: 'widget', from: 'c', action: 'back' });
  });

  it('freezes its table so nobody can add a transition at runtime', () => {
    expect(Object.isFrozen(machine.table)).toBe(true);
    expect(Object.isFrozen(machine.table.a)).toBe(true);
  });

  it('ignores Object.prototype names coming from untyped storage', () => {
    const untyped = machine as unknown as {
      next(from: string, action: string): string;
      can(f: string, a: string): boolean;
    };
    expect(() => untyped.next('constructor', 'go')).toThrow(IllegalTransitionError);
    expect(() => untyped.next('a', 'toString')).toThrow(IllegalTransitionError);
    expect(untyped.can('a', 'hasOwnProperty')).toBe(false);
    expect(machine.actions('toString' as 'a')).toEqual([]);
  });

  it('uses the machine name and article in messages', () => {
    expect(() => machine.next('a', 'hide')).toThrow(
      'cannot hide a widget that is a (a → hide is not allowed)',
    );
  });
});

describe('billable items', () => {
  it('follows its table', () => {
    expect(transitionBillable('unbilled', 'invoice')).toBe('invoiced');
    expect(transitionBillable('invoiced', 'release')).toBe('unbilled');
    expect(transitionBillable('invoiced', 'mark_paid')).toBe('paid');
    expect(transitionBillable('paid', 'reopen')).toBe('invoiced');
    expect(Object.keys(billableTransitions)).toEqual(['unbilled', 'invoiced', 'paid']);
  });

  it.each([
    ['unbilled', 'mark_paid'],
    ['paid', 'release'],
    ['invoiced', 'invoice'],
    ['unbilled', 'reopen'],
  ] as const)('%s → %s is illegal', (from, action) => {
    const error = thrown(() => transitionBillable(from, action));
    expect(error).toMatchObject({ code: 'illegal_transition', machine: 'billable item' });
  });
});

describe('payments', () => {
  it('only refunds move a succeeded payment, and failed/refunded are final', () => {
    expect(transitionPayment('pending', 'succeed')).toBe('succeeded');
    expect(transitionPayment('pending', 'fail')).toBe('failed');
    expect(transitionPayment('succeeded', 'refund_partially')).toBe('partially_refunded');
    expect(transitionPayment('partially_refunded', 'refund_fully')).toBe('refunded');
    expect(() => transitionPayment('failed', 'succeed')).toThrow(IllegalTransitionError);
    expect(() => transitionPayment('refunded', 'refund_partially')).toThrow(IllegalTransitionError);
    expect(() => transitionPayment('pending', 'refund_fully')).toThrow(IllegalTransitionError);
  });
});
