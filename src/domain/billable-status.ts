import { defineStateMachine, type TransitionTable } from './state-machine.js';

/** Lifecycle of a billable item (time entry, usage record, one-off charge) on its way onto an invoice. */
export type BillableStatus = 'unbilled' | 'invoiced' | 'paid';

export type BillableAction = 'invoice' | 'release' | 'mark_paid' | 'reopen';

export const BILLABLE_STATUSES: readonly BillableStatus[] = Object.freeze(['unbilled', 'invoiced', 'paid']);

/*
 * - invoice:   put on an invoice (a draft counts), so it cannot be billed twice.
 * - release:   its invoice was voided or the draft deleted, so it can be billed again.
 * - mark_paid: its invoice was paid in full.
 * - reopen:    the payment no longer stands (e.g. a failed bank transfer or a reversed payment), so it is
 *              owed again on the same invoice. A paid item is never released straight to unbilled:
 *              it must go through its invoice first, which keeps the item ↔ invoice link auditable.
 */
export const billableTransitions: TransitionTable<BillableStatus, BillableAction> = {
  unbilled: { invoice: 'invoiced' },
  invoiced: { release: 'unbilled', mark_paid: 'paid' },
  paid: { reopen: 'invoiced' },
};

export const billableMachine = defineStateMachine<BillableStatus, BillableAction>(
  'billable item',
  billableTransitions,
);

export function transitionBillable(from: BillableStatus, action: BillableAction): BillableStatus {
  return billableMachine.next(from, action);
}

export function canTransitionBillable(from: BillableStatus, action: BillableAction): boolean {
  return billableMachine.can(from, action);
}
