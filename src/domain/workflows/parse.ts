import { z } from 'zod';
import { nodeFieldProblems } from './node-rules.js';
import {
  EDGE_KINDS,
  type EdgeKind,
  NODE_SCHEMAS,
  NODE_TYPES,
  type NodeType,
  type WorkflowNode,
} from './nodes.js';

/** One thing wrong with a workflow: which node (null for the graph as a whole) and what, in words. */
export interface WorkflowProblem {
  readonly node: string | null;
  readonly problem: string;
}

export interface WorkflowEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
}

/** A valid workflow definition, with every default filled in: what is stored and what the engine runs. */
export interface WorkflowGraph {
  readonly nodes: readonly WorkflowNode[];
  readonly edges: readonly WorkflowEdge[];
}

export const MAX_NODES = 200;
export const MAX_EDGES = 1000;

const shellSchema = z
  .object({
    nodes: z.array(z.looseObject({})).min(1).max(MAX_NODES),
    edges: z.array(z.unknown()).max(MAX_EDGES),
  })
  .strict();

export const edgeSchema = z
  .object({
    from: z.string().min(1).max(64),
    to: z.string().min(1).max(64),
    kind: z.enum(EDGE_KINDS),
  })
  .strict();

/** What the structural rules work on: every node with an id and a known type, valid or not. */
export interface GraphOutline {
  readonly types: ReadonlyMap<string, NodeType>;
  /** Node ids in the order they were written, which is the order problems are reported in. */
  readonly order: readonly string[];
  readonly edges: readonly WorkflowEdge[];
  readonly valid: ReadonlyMap<string, WorkflowNode>;
}

/**
 * Checks the JSON shape and every node's and edge's fields. Problems name the node they belong to
 * (an edge's problems name the node it leaves). The outline keeps every node that has an id and a
 * known type, even one with bad fields, so the graph rules report real structural problems rather
 * than echoes of a typo.
 */
export function parseGraph(input: unknown): {
  outline: GraphOutline | undefined;
  problems: WorkflowProblem[];
} {
  const shell = shellSchema.safeParse(input);
  if (!shell.success) return { outline: undefined, problems: issuesToProblems(null, shell.error.issues) };
  const problems: WorkflowProblem[] = [];
  const types = new Map<string, NodeType>();
  const valid = new Map<string, WorkflowNode>();
  const order: string[] = [];
  shell.data.nodes.forEach((raw, index) => {
    const id = typeof raw.id === 'string' && raw.id !== '' ? raw.id : `nodes[${index}]`;
    const type = raw.type;
    if (typeof type !== 'string' || !(NODE_TYPES as string[]).includes(type)) {
      const known = NODE_TYPES.join(', ');
      problems.push({
        node: id,
        problem:
          typeof type === 'string'
            ? `unknown node type "${type}" (known types: ${known})`
            : `"type" is missing (one of: ${known})`,
      });
      return;
    }
    if (types.has(id)) {
      problems.push({ node: id, problem: 'more than one node has this id' });
      return;
    }
    types.set(id, type as NodeType);
    order.push(id);
    const parsed = NODE_SCHEMAS[type as NodeType].safeParse(raw);
    if (!parsed.success) {
      problems.push(...issuesToProblems(id, parsed.error.issues));
      return;
    }
    const node = parsed.data as WorkflowNode;
    const fieldProblems = nodeFieldProblems(node);
    problems.push(...fieldProblems.map((problem) => ({ node: id, problem })));
    if (fieldProblems.length === 0) valid.set(id, node);
  });

  const edges: WorkflowEdge[] = [];
  const seen = new Set<string>();
  shell.data.edges.forEach((raw, index) => {
    const parsed = edgeSchema.safeParse(raw);
    if (!parsed.success) {
      const from = (raw as { from?: unknown } | null)?.from;
      const owner = typeof from === 'string' && types.has(from) ? from : null;
      const prefix = `edges[${index}]`;
      problems.push(
        ...issuesToProblems(owner, parsed.error.issues).map((p) => ({
          ...p,
          problem: `${prefix}: ${p.problem}`,
        })),
      );
      return;
    }
    const edge = parsed.data;
    if (!types.has(edge.from)) {
      problems.push({
        node: edge.from,
        problem: `edges[${index}] leaves "${edge.from}", which is not a node of this workflow`,
      });
      return;
    }
    if (!types.has(edge.to)) {
      problems.push({
        node: edge.from,
        problem: `its ${edge.kind} edge goes to "${edge.to}", which is not a node of this workflow`,
      });
      return;
    }
    const key = `${edge.from}\u0000${edge.to}\u0000${edge.kind}`;
    if (seen.has(key)) {
      problems.push({ node: edge.from, problem: `its ${edge.kind} edge to "${edge.to}" is listed twice` });
      return;
    }
    seen.add(key);
    edges.push(edge);
  });
  return { outline: { types, order, edges, valid }, problems };
}

function issuesToProblems(node: string | null, issues: readonly z.core.$ZodIssue[]): WorkflowProblem[] {
  return issues.map((issue) => {
    const where = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const fields = issue.keys.map((key) => `"${where ? `${where}.` : ''}${key}"`).join(', ');
      return { node, problem: `unknown field${issue.keys.length > 1 ? 's' : ''} ${fields}` };
    }
    return { node, problem: where ? `"${where}": ${issue.message}` : issue.message };
  });
}
