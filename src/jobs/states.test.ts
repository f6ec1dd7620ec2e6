import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import { describeError, IllegalTransitionError, PermanentJobError, RetryAfterError } from './errors.js';
import { jobStates, sourcesOf, targetOf, transition } from './states.js';

describe('job state machine', () => {
  it('allows exactly the edges of the table', () => {
    expect(transition('queued', 'claim')).toBe('running');
    expect(transition('running', 'release')).toBe('queued');
    expect(transition('dead', 'manual_retry')).toBe('queued');
    expect(() => transition('running', 'manual_retry')).toThrow(IllegalTransitionError);
    expect(() => transition('succeeded', 'claim')).toThrow(IllegalTransitionError);
    expect(() => transition('running', 'cancel')).toThrow(IllegalTransitionError);
  });

  it('agrees with sourcesOf/targetOf for every state and event', () => {
    const events = [
      'claim',
      'succeed',
      'retry',
      'dead_letter',
      'expire',
      'release',
      'manual_retry',
      'cancel',
    ] as const;
    for (const event of events) {
      for (const state of jobStates) {
        if (sourcesOf(event).includes(state)) expect(transition(state, event)).toBe(targetOf(event));
        else expect(() => transition(state, event)).toThrow(IllegalTransitionError);
      }
    }
  });

  it('never leaves succeeded or cancelled', () => {
    for (const state of ['succeeded', 'cancelled'] as const) {
      for (const event of ['claim', 'retry', 'manual_retry', 'cancel'] as const) {
        expect(() => transition(state, event)).toThrow(IllegalTransitionError);
      }
    }
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap, within the jitter band', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        (attempt, baseMs, extra, jitter, random) => {
          const maxMs = baseMs + extra;
          const delay = backoffDelay(attempt, { baseMs, maxMs, jitter, random: () => random });
          const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 64));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling * (1 - jitter)));
        },
      ),
    );
  });

  it('doubles per attempt without jitter', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) =>
      backoffDelay(attempt, { baseMs: 100, maxMs: 1_000, jitter: 0 }),
    );
    expect(delays).toEqual([100, 200, 400, 800, 1_000]);
  });
});

describe('job errors', () => {
  it('stores name and message only, with credentials redacted', () => {
    expect(describeError(new PermanentJobError('bad payload'))).toBe('PermanentJobError: bad payload');
    const bearer = describeError(new Error('401 with Authorization: Bearer eyJhbGciOi.abc'));
    expect(bearer).toMatch(/^Error: 401 with Authorization: .*\[redacted\]/);
    expect(bearer).not.toContain('eyJ');
    expect(describeError(new Error('sk_live_51Habc leaked'))).toBe('Error: [redacted] leaked');
    expect(describeError(new Error('url?client_secret=xyz&x=1'))).toBe(
      'Error: url?client_secret=[redacted]&x=1',
    );
    expect(describeError('plain')).toBe('non-error thrown: plain');
    expect(describeError(new Error('x'.repeat(5_000))).length).toBeLessThanOrEqual(1_000);
  });

  it('rejects a negative retry delay', () => {
    expect(() => new RetryAfterError('429', -1)).toThrow(RangeError);
    expect(new RetryAfterError('429', 1_500).retryAfterMs).toBe(1_500);
  });
});
