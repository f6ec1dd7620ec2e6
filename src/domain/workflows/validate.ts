import { DomainError } from '../errors.js';
import { graphProblems } from './graph-rules.js';
import type { WorkflowNode } from './nodes.js';
import { parseGraph, type WorkflowGraph, type WorkflowProblem } from './parse.js';

export type WorkflowValidation =
  | { readonly ok: true; readonly graph: WorkflowGraph }
  | { readonly ok: false; readonly problems: readonly WorkflowProblem[] };

/**
 * Checks a workflow definition as a person saved it: its JSON shape, every node's fields (unknown
 * types and fields are refused), and how the nodes connect (see graph-rules.ts). Either the
 * normalized graph — defaults filled in, ready to store — or every problem found, each naming its node.
 */
export function validateWorkflowGraph(input: unknown): WorkflowValidation {
  const { outline, problems } = parseGraph(input);
  if (!outline) return { ok: false, problems };
  const all = [...problems, ...graphProblems(outline)];
  if (all.length > 0) return { ok: false, problems: all };
  const nodes = outline.order.map((id) => outline.valid.get(id) as WorkflowNode);
  return { ok: true, graph: { nodes, edges: outline.edges } };
}

/** A workflow that cannot be saved; `problems` lists each node and what is wrong with it. */
export class InvalidWorkflowError extends DomainError {
  readonly code = 'invalid_workflow';
  constructor(readonly problems: readonly WorkflowProblem[]) {
    super(`The workflow is invalid: ${problems.map(describeProblem).join('; ')}`);
  }
}

export function describeProblem({ node, problem }: WorkflowProblem): string {
  return node === null ? problem : `node "${node}": ${problem}`;
}

/** The graph, or InvalidWorkflowError naming every problem. */
export function assertValidWorkflowGraph(input: unknown): WorkflowGraph {
  const result = validateWorkflowGraph(input);
  if (!result.ok) throw new InvalidWorkflowError(result.problems);
  return result.graph;
}
