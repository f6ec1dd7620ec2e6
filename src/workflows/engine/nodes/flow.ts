import { durationMinutes, type NodeOf } from '../../../domain/workflows/index.js';
import type { Invoice } from '../../../store/repositories/invoices.js';
import type { NodeExecution, Outcome } from '../types.js';
import { invoiceOf } from './invoice.js';

/** The nodes that only steer: triggers, joins, conditions and waits. */

export function passThrough(): Promise<Outcome> {
  return Promise.resolve({ kind: 'done', follow: ['next'] });
}

export async function runCondition(execution: NodeExecution, node: NodeOf<'condition'>): Promise<Outcome> {
  const invoice = await invoiceOf(execution);
  if (!invoice)
    return { kind: 'fail', error: 'a condition tests invoice fields, and this run has no invoice' };
  const actual = fieldValue(invoice, node.field);
  const holds = evaluate(actual, node.operator, node.value);
  return { kind: 'done', follow: [holds ? 'true' : 'false'], result: { value: actual, outcome: holds } };
}

function fieldValue(invoice: Invoice, field: NodeOf<'condition'>['field']): string | number | null {
  switch (field) {
    case 'total':
      return invoice.total;
    case 'balance':
      return invoice.balance;
    case 'amount_paid':
      return invoice.amountPaid;
    case 'currency':
      return invoice.currency;
    case 'status':
      return invoice.status;
    case 'form_type':
      return invoice.formType;
    case 'issue_date':
      return invoice.issueDate;
    case 'due_date':
      return invoice.dueDate;
  }
}

/** Amounts compare as numbers, dates as YYYY-MM-DD strings (which sort like the dates), text exactly. */
export function evaluate(
  actual: string | number | null,
  operator: NodeOf<'condition'>['operator'],
  expected: NodeOf<'condition'>['value'],
): boolean {
  if (operator === 'is_set') return actual !== null && actual !== '';
  if (actual === null || expected === undefined) return false;
  if (operator === 'in') return Array.isArray(expected) && expected.includes(String(actual));
  if (Array.isArray(expected)) return false;
  switch (operator) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'gt':
      return actual > expected;
    case 'gte':
      return actual >= expected;
    case 'lt':
      return actual < expected;
    case 'lte':
      return actual <= expected;
  }
}

/** A wait ends `duration` after the run reached it, or at `until`; the job sleeps until then. */
export function runWait(execution: NodeExecution, node: NodeOf<'wait'>): Promise<Outcome> {
  const dueAt =
    node.until !== undefined
      ? new Date(node.until)
      : new Date(execution.token.createdAt.getTime() + durationMinutes(node.duration ?? 'PT0M') * 60_000);
  if (execution.now >= dueAt) {
    return Promise.resolve({ kind: 'done', follow: ['next'], result: { due_at: dueAt.toISOString() } });
  }
  return Promise.resolve({
    kind: 'wait',
    waitingFor: 'time',
    dueAt,
    result: { due_at: dueAt.toISOString() },
  });
}
