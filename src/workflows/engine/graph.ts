import type {
  EdgeKind,
  TriggerEvent,
  WorkflowEdge,
  WorkflowGraph,
  WorkflowNode,
} from '../../domain/workflows/index.js';
import { PermanentJobError } from '../../jobs/errors.js';
import type { Queryable } from '../../store/db.js';
import { getDefinition, type WorkflowDefinition } from '../../store/repositories/workflows.js';

/** Lookups the engine makes in a run's graph (the definition version the run started on). */

export function nodeOf(graph: WorkflowGraph, id: string): WorkflowNode {
  const node = graph.nodes.find((candidate) => candidate.id === id);
  if (!node) throw new PermanentJobError(`the workflow has no node "${id}"`);
  return node;
}

export function outgoing(graph: WorkflowGraph, from: string, kinds: readonly EdgeKind[]): WorkflowEdge[] {
  return graph.edges.filter((edge) => edge.from === from && kinds.includes(edge.kind));
}

export function hasEdge(graph: WorkflowGraph, from: string, kind: EdgeKind): boolean {
  return graph.edges.some((edge) => edge.from === from && edge.kind === kind);
}

/** The distinct nodes whose edges lead into `to`: the tracks a join waits for. */
export function sourcesOf(graph: WorkflowGraph, to: string): string[] {
  return [...new Set(graph.edges.filter((edge) => edge.to === to).map((edge) => edge.from))].sort();
}

export function triggerFor(graph: WorkflowGraph, event: TriggerEvent): WorkflowNode | undefined {
  return graph.nodes.find((node) => node.type === 'trigger' && node.event === event);
}

// Definitions are immutable (a database trigger refuses changes), so a cache can never be stale.
const cache = new Map<string, WorkflowDefinition>();
const CACHE_LIMIT = 500;

export async function definitionOf(
  db: Queryable,
  tenantId: string,
  definitionId: string,
): Promise<WorkflowDefinition> {
  const key = `${tenantId}\u0000${definitionId}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const definition = await getDefinition(db, tenantId, definitionId);
  if (!definition) throw new PermanentJobError(`workflow version ${definitionId} does not exist`);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, definition);
  return definition;
}
