import { CONDITION_FIELDS, type ConditionOperator, type WorkflowNode } from './nodes.js';

/**
 * Rules about one node's fields that a per-field schema cannot express (which fields go together).
 * Returns the problems in words, without the node id: the caller names the node.
 */
export function nodeFieldProblems(node: WorkflowNode): string[] {
  if (node.type === 'status_update') return statusUpdateProblems(node);
  if (node.type === 'condition') return conditionProblems(node);
  if (node.type === 'wait' && (node.duration === undefined) === (node.until === undefined)) {
    return ['a wait needs exactly one of "duration" or "until"'];
  }
  return [];
}

function statusUpdateProblems(node: Extract<WorkflowNode, { type: 'status_update' }>): string[] {
  if (node.mode === 'automatic') {
    const problems: string[] = [];
    if (node.status === undefined) problems.push('an automatic status update needs "status"');
    if (node.allowed_statuses !== undefined) {
      problems.push('"allowed_statuses" is for manual status updates (an automatic one sets "status")');
    }
    if (node.timeout !== undefined) problems.push('"timeout" is for manual status updates');
    return problems;
  }
  const problems: string[] = [];
  if (node.allowed_statuses === undefined) {
    problems.push('a manual status update needs "allowed_statuses" for the person to choose from');
  } else if (new Set(node.allowed_statuses).size !== node.allowed_statuses.length) {
    problems.push('"allowed_statuses" lists a status twice');
  }
  if (node.status !== undefined) {
    problems.push('"status" is for automatic status updates (a manual one offers "allowed_statuses")');
  }
  return problems;
}

const ORDERED: readonly ConditionOperator[] = ['gt', 'gte', 'lt', 'lte'];

function conditionProblems(node: Extract<WorkflowNode, { type: 'condition' }>): string[] {
  const kind = CONDITION_FIELDS[node.field];
  const { operator, value } = node;
  if (operator === 'is_set') {
    return value === undefined ? [] : ['"is_set" takes no "value"'];
  }
  if (value === undefined) return [`"${operator}" needs a "value"`];
  if (operator === 'in') {
    return Array.isArray(value) && kind === 'text'
      ? []
      : [`"in" compares a text field with a list of strings (${node.field} is ${describe(kind)})`];
  }
  if (Array.isArray(value)) return [`"${operator}" compares with one value; only "in" takes a list`];
  if (kind === 'amount') {
    return Number.isSafeInteger(value) && typeof value === 'number' && value >= 0
      ? []
      : [`${node.field} is an amount in minor units: "value" must be a non-negative integer`];
  }
  if (kind === 'date') {
    return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value))
      ? []
      : [`${node.field} is a date: "value" must be "YYYY-MM-DD"`];
  }
  if (ORDERED.includes(operator)) return [`"${operator}" needs an amount or a date; ${node.field} is text`];
  return typeof value === 'string' ? [] : [`${node.field} is text: "value" must be a string`];
}

function describe(kind: 'amount' | 'text' | 'date'): string {
  return kind === 'amount' ? 'an amount' : kind === 'date' ? 'a date' : 'text';
}
