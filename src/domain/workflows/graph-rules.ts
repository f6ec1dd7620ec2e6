import { OUTGOING_EDGE_KINDS, type WorkflowNode } from './nodes.js';
import type { GraphOutline, WorkflowProblem } from './parse.js';

/**
 * The rules about how nodes connect. Each returns problems naming the node to fix, in the order the
 * nodes were written.
 *
 * - every edge kind must be one its source node type can emit (OUTGOING_EDGE_KINDS);
 * - at least one trigger, at most one per event, and nothing leads back into a trigger;
 * - every node is reachable from a trigger;
 * - a join has at least two incoming edges, all reachable from every trigger that reaches the join;
 * - every cycle passes through a wait with a duration (a wait "until" a moment passes only once).
 */
export function graphProblems(outline: GraphOutline): WorkflowProblem[] {
  return [
    ...edgeKindProblems(outline),
    ...triggerProblems(outline),
    ...reachabilityProblems(outline),
    ...joinProblems(outline),
    ...cycleProblems(outline),
  ];
}

function edgeKindProblems({ types, order, edges, valid }: GraphOutline): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  for (const edge of edges) {
    const type = types.get(edge.from);
    if (!type) continue;
    const allowed = OUTGOING_EDGE_KINDS[type];
    if (!allowed.includes(edge.kind)) {
      problems.push({
        node: edge.from,
        problem: `a ${type} node cannot have an ${edge.kind} edge (it may have: ${allowed.join(', ')})`,
      });
    } else if (edge.kind === 'timeout' && valid.get(edge.from)?.type === 'status_update') {
      const node = valid.get(edge.from) as Extract<WorkflowNode, { type: 'status_update' }>;
      if (node.timeout === undefined) {
        problems.push({ node: edge.from, problem: 'it has a timeout edge but no "timeout" duration' });
      }
    }
  }
  for (const id of order) {
    const node = valid.get(id);
    if (node?.type === 'status_update' && node.timeout !== undefined) {
      if (!edges.some((edge) => edge.from === id && edge.kind === 'timeout')) {
        problems.push({
          node: id,
          problem: 'it has a "timeout" but no timeout edge to follow when it expires',
        });
      }
    }
  }
  return problems;
}

function triggerProblems({ types, order, edges, valid }: GraphOutline): WorkflowProblem[] {
  const triggers = order.filter((id) => types.get(id) === 'trigger');
  if (triggers.length === 0) {
    return [{ node: null, problem: 'the workflow has no trigger node, so nothing would ever start it' }];
  }
  const problems: WorkflowProblem[] = [];
  const byEvent = new Map<string, string>();
  for (const id of triggers) {
    const node = valid.get(id);
    if (node?.type === 'trigger') {
      const first = byEvent.get(node.event);
      if (first !== undefined) {
        problems.push({
          node: id,
          problem: `trigger "${first}" already starts the workflow on ${node.event}; one trigger per event`,
        });
      } else byEvent.set(node.event, id);
    }
  }
  for (const edge of edges) {
    if (types.get(edge.to) === 'trigger') {
      problems.push({
        node: edge.to,
        problem: `a trigger cannot have incoming edges (the ${edge.kind} edge from "${edge.from}")`,
      });
    }
  }
  return problems;
}

function successors(outline: GraphOutline): Map<string, string[]> {
  const next = new Map<string, string[]>(outline.order.map((id) => [id, []]));
  for (const edge of outline.edges) next.get(edge.from)?.push(edge.to);
  return next;
}

function reachableFrom(start: string, next: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set([start]);
  const stack = [start];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    for (const to of next.get(id) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        stack.push(to);
      }
    }
  }
  return seen;
}

function triggerReach(outline: GraphOutline): Map<string, Set<string>> {
  const next = successors(outline);
  const triggers = outline.order.filter((id) => outline.types.get(id) === 'trigger');
  return new Map(triggers.map((id) => [id, reachableFrom(id, next)]));
}

function reachabilityProblems(outline: GraphOutline): WorkflowProblem[] {
  const reach = triggerReach(outline);
  if (reach.size === 0) return []; // reported once as "no trigger"
  const reached = new Set([...reach.values()].flatMap((set) => [...set]));
  return outline.order
    .filter((id) => !reached.has(id))
    .map((id) => ({ node: id, problem: 'it cannot be reached from any trigger' }));
}

function joinProblems(outline: GraphOutline): WorkflowProblem[] {
  const reach = triggerReach(outline);
  const problems: WorkflowProblem[] = [];
  for (const id of outline.order) {
    if (outline.types.get(id) !== 'join') continue;
    const incoming = [...new Set(outline.edges.filter((edge) => edge.to === id).map((edge) => edge.from))];
    if (incoming.length < 2) {
      problems.push({
        node: id,
        problem: `a join waits for several tracks, so it needs at least two incoming edges (it has ${incoming.length})`,
      });
      continue;
    }
    for (const [trigger, reached] of reach) {
      if (!reached.has(id)) continue;
      const missing = incoming.filter((from) => !reached.has(from));
      if (missing.length > 0) {
        problems.push({
          node: id,
          problem:
            `a run started by trigger "${trigger}" never reaches ${missing.map((m) => `"${m}"`).join(', ')}, ` +
            'so this join would wait for it forever',
        });
      }
    }
  }
  return problems;
}

/** Tarjan's strongly connected components over the nodes that do not pause a run. */
function cycleProblems(outline: GraphOutline): WorkflowProblem[] {
  const pauses = (id: string) => {
    const node = outline.valid.get(id);
    return node?.type === 'wait' && node.duration !== undefined;
  };
  const next = new Map<string, string[]>();
  for (const id of outline.order) if (!pauses(id)) next.set(id, []);
  for (const edge of outline.edges) {
    if (next.has(edge.from) && next.has(edge.to)) next.get(edge.from)?.push(edge.to);
  }
  const position = new Map(outline.order.map((id, index) => [id, index]));
  const problems: WorkflowProblem[] = [];
  for (const component of stronglyConnected(next)) {
    const [first] = component;
    if (first === undefined) continue;
    const loops = component.length > 1 || (next.get(first) ?? []).includes(first);
    if (!loops) continue;
    component.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
    const members = component.map((id) => `"${id}"`).join(', ');
    problems.push({
      node: component[0] ?? first,
      problem:
        component.length === 1
          ? 'it loops back to itself with no wait in between, which would run forever'
          : `it is on a cycle (${members}) with no wait node, which would run forever; put a wait with a duration on the cycle`,
    });
  }
  return problems;
}

function stronglyConnected(next: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  // Iterative, so a long chain of nodes cannot overflow the call stack.
  for (const root of next.keys()) {
    if (index.has(root)) continue;
    const work: { id: string; child: number }[] = [{ id: root, child: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (!frame) break;
      const children = next.get(frame.id) ?? [];
      if (frame.child < children.length) {
        const to = children[frame.child++] as string;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, child: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id) ?? 0, index.get(to) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) ?? 0, low.get(frame.id) ?? 0));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
          onStack.delete(member);
          component.push(member);
          if (member === frame.id) break;
        }
        components.push(component);
      }
    }
  }
  return components;
}
