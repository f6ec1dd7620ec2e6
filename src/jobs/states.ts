import { IllegalTransitionError } from '../domain/errors.js';

export const jobStates = ['queued', 'running', 'succeeded', 'dead', 'cancelled'] as const;
export type JobState = (typeof jobStates)[number];

/**
 * The one table of state changes. Each event names where it may start and where it leads; the same
 * edge (running → queued) exists for several reasons, and keeping them apart is what lets a manual
 * retry refuse a running job. SQL that changes a state guards its WHERE clause with `sourcesOf`, so
 * a row that moved on concurrently is left alone; code holding a job calls `transition` first.
 */
const transitions = {
  /** A worker took the job under a lease. */
  claim: { from: ['queued'], to: 'running' },
  succeed: { from: ['running'], to: 'succeeded' },
  /** The handler failed retryably and attempts are left: back to the queue after a backoff. */
  retry: { from: ['running'], to: 'queued' },
  /** A permanent failure, exhausted attempts, or no handler for the type. */
  dead_letter: { from: ['running'], to: 'dead' },
  /** The worker stopped heartbeating (it died); the attempt it used still counts. */
  expire: { from: ['running'], to: 'queued' },
  /** The worker shut down before the handler finished, or the handler snoozed; the attempt is given back. */
  release: { from: ['running'], to: 'queued' },
  /** An operator runs a dead-lettered job again, with a fresh attempt budget. */
  manual_retry: { from: ['dead'], to: 'queued' },
  /** An operator withdraws a job that is not running. */
  cancel: { from: ['queued', 'dead'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly JobState[]; to: JobState }>;

export type JobEvent = keyof typeof transitions;

/** The state `event` leads to from `from`; throws IllegalTransitionError if the table has no such edge. */
export function transition(from: JobState, event: JobEvent): JobState {
  const edge: { from: readonly JobState[]; to: JobState } = transitions[event];
  if (!edge.from.includes(from)) throw new IllegalTransitionError('job', from, event);
  return edge.to;
}

/** The states `event` may start from: the guard of the SQL that applies it. */
export function sourcesOf(event: JobEvent): JobState[] {
  return [...transitions[event].from];
}

/** The state `event` leads to, for SQL that applies it to rows already guarded by `sourcesOf`. */
export function targetOf(event: JobEvent): JobState {
  return transitions[event].to;
}

export function isJobState(value: string): value is JobState {
  return (jobStates as readonly string[]).includes(value);
}
