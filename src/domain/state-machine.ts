import { IllegalTransitionError } from './errors.js';

export { IllegalTransitionError } from './errors.js';

/**
 * Marker for a transition whose target is "the status we came from" (e.g. unarchive). A table cannot name
 * that status statically, so the caller passes the remembered status as `context.previous` and the machine
 * checks that it is a status from which this one is reachable.
 */
export const PREVIOUS = '@previous' as const;
export type Previous = typeof PREVIOUS;

export type TransitionTable<S extends string, A extends string> = Readonly<
  Record<S, Readonly<Partial<Record<A, S | Previous>>>>
>;

export interface TransitionContext<S extends string> {
  readonly previous?: S | undefined;
}

export interface StateMachine<S extends string, A extends string> {
  readonly name: string;
  readonly table: TransitionTable<S, A>;
  /** Whether `action` is allowed from `from` (for PREVIOUS targets: whether it would be, given context). */
  can(from: S, action: A, context?: TransitionContext<S>): boolean;
  /** The status after `action`; throws IllegalTransitionError when the table does not allow it. */
  next(from: S, action: A, context?: TransitionContext<S>): S;
  /** Actions allowed from `from`, in table order (for UIs and API hints). */
  actions(from: S): readonly A[];
}

/**
 * Builds a state machine from one transition table, which is the single source of truth for what is
 * allowed: code never switches on statuses to decide transitions, so the table, the error messages and
 * the UI hints cannot disagree.
 */
export function defineStateMachine<S extends string, A extends string>(
  name: string,
  table: TransitionTable<S, A>,
): StateMachine<S, A> {
  const frozen = Object.freeze(
    Object.fromEntries(Object.entries(table).map(([s, row]) => [s, Object.freeze({ ...(row as object) })])),
  ) as TransitionTable<S, A>;

  // Own-property lookups only: statuses often come from storage as plain strings, and "constructor" or
  // "toString" must not find something on Object.prototype.
  function targetOf(from: S, action: A): S | Previous | undefined {
    if (!Object.hasOwn(frozen, from)) return undefined;
    const row: Readonly<Partial<Record<A, S | Previous>>> = frozen[from];
    return Object.hasOwn(row, action) ? row[action] : undefined;
  }

  function next(from: S, action: A, context: TransitionContext<S> | undefined): S {
    const target = targetOf(from, action);
    if (target === undefined) throw new IllegalTransitionError(name, from, action);
    if (target !== PREVIOUS) return target as S; // TS cannot narrow a generic union by a literal
    const previous = context?.previous;
    if (previous === undefined) {
      // A bug in the caller (it forgot the remembered status), not bad user input: plain Error.
      throw new Error(`${name} ${from} → ${action} needs the previous status in the transition context`);
    }
    // Only restore to a status that could actually have led here, so corrupt data cannot jump anywhere.
    if (
      previous === from ||
      !Object.hasOwn(frozen, previous) ||
      !Object.values(frozen[previous]).includes(from)
    ) {
      throw new IllegalTransitionError(
        name,
        from,
        action,
        `cannot ${action} ${name}: ${previous} is not a status it can have been ${from} from`,
      );
    }
    return previous;
  }

  return {
    name,
    table: frozen,
    can(from, action, context) {
      const target = targetOf(from, action);
      if (target !== PREVIOUS) return target !== undefined;
      // Without the remembered status we can only say that the action exists from here.
      if (context?.previous === undefined) return true;
      try {
        next(from, action, context);
        return true;
      } catch {
        return false;
      }
    },
    next,
    actions(from) {
      return Object.hasOwn(frozen, from) ? (Object.keys(frozen[from]) as A[]) : [];
    },
  };
}
