import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EdgeKind, type NodeType, OUTGOING_EDGE_KINDS } from './nodes.js';
import { validateWorkflowGraph } from './validate.js';

/*
 * Random workflows. The generator builds acyclic graphs that are valid by construction (node i is
 * hung from an earlier node, extra edges only go forward, joins get two parents), so every one must
 * be accepted. Then a back edge is added along a stretch of the tree with no wait on it: every such
 * graph must be refused, naming a node of the cycle; the same cycle through a new wait is accepted.
 */

type Node = { id: string; type: NodeType } & Record<string, unknown>;
type Edge = { from: string; to: string; kind: EdgeKind };

const BODY_TYPES = [
  'collect_payment',
  'sync_quickbooks',
  'status_update',
  'send_email',
  'wait',
  'condition',
  'join',
  'webhook',
] as const satisfies readonly NodeType[];

const FIELDS: Record<(typeof BODY_TYPES)[number], Record<string, unknown>> = {
  collect_payment: {},
  sync_quickbooks: {},
  status_update: { mode: 'automatic', status: 'paid' },
  send_email: { template: 'review_request', recipients: ['contact', 'owner@example.test'] },
  wait: { duration: 'P2D' },
  condition: { field: 'balance', operator: 'gt', value: 0 },
  join: {},
  webhook: { url: 'https://hooks.example.test/ledgerbridge' },
};

/** Kinds a node may emit, without timeout (which needs a manual status update with a timeout). */
const kindsOf = (type: NodeType) => OUTGOING_EDGE_KINDS[type].filter((kind) => kind !== 'timeout');

interface Dag {
  nodes: Node[];
  edges: Edge[];
  /** The node each node was hung from (the trigger has none). */
  parent: (number | undefined)[];
}

const dag: fc.Arbitrary<Dag> = fc
  .array(
    fc.record({
      type: fc.constantFrom(...BODY_TYPES),
      parent: fc.nat(),
      second: fc.nat(),
      kind: fc.nat(),
      extra: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 25 },
  )
  .map((specs) => {
    const nodes: Node[] = [{ id: 'n0', type: 'trigger', event: 'invoice_sent' }];
    const parent: (number | undefined)[] = [undefined];
    const edges = new Map<string, Edge>();
    const link = (from: number, to: number, pick: number) => {
      const fromNode = nodes[from] as Node;
      const kinds = kindsOf(fromNode.type);
      const kind = kinds[pick % kinds.length] as EdgeKind;
      edges.set(`${from}>${to}>${kind}`, { from: fromNode.id, to: `n${to}`, kind });
    };
    specs.forEach((spec, offset) => {
      const index = offset + 1;
      // A join needs two distinct earlier nodes to wait for; with fewer, make it a QuickBooks sync.
      const type = spec.type === 'join' && index < 3 ? 'sync_quickbooks' : spec.type;
      nodes.push({ id: `n${index}`, type, ...FIELDS[type] });
      const from = spec.parent % index;
      parent.push(from);
      link(from, index, spec.kind);
      if (type === 'join') {
        const other = (from + 1 + (spec.second % (index - 1))) % index;
        link(other === from ? (from + 1) % index : other, index, spec.kind + 1);
      }
      for (const [earlier, kind] of spec.extra) link(earlier % index, index, kind);
    });
    return { nodes, edges: [...edges.values()], parent };
  });

/** A back edge from some node to itself or an ancestor, with no wait on the stretch it closes. */
const withWaitlessCycle = dag.chain((graph) =>
  fc
    .record({ bottom: fc.integer({ min: 1, max: graph.nodes.length - 1 }), up: fc.nat(), kind: fc.nat() })
    .map(({ bottom, up, kind }) => {
      const chain: number[] = [];
      for (let at: number | undefined = bottom; at !== undefined && at !== 0; at = graph.parent[at]) {
        if (graph.nodes[at]?.type === 'wait') break;
        chain.push(at);
      }
      if (chain.length === 0) return undefined; // the bottom node itself is a wait
      const top = chain[up % chain.length] as number;
      const from = graph.nodes[bottom] as Node;
      const kinds = kindsOf(from.type);
      const back: Edge = { from: from.id, to: `n${top}`, kind: kinds[kind % kinds.length] as EdgeKind };
      return { graph, back, cycle: chain.slice(0, chain.indexOf(top) + 1).map((at) => `n${at}`) };
    }),
);

describe('workflow validation on random graphs', () => {
  it('accepts every acyclic graph the generator builds', () => {
    fc.assert(
      fc.property(dag, ({ nodes, edges }) => {
        const result = validateWorkflowGraph({ nodes, edges });
        expect(result.ok ? [] : result.problems).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses every graph with a cycle that has no wait, naming a node on it', () => {
    fc.assert(
      fc.property(withWaitlessCycle, (sample) => {
        fc.pre(sample !== undefined);
        if (!sample) return;
        const { graph, back, cycle } = sample;
        const result = validateWorkflowGraph({ nodes: graph.nodes, edges: [...graph.edges, back] });
        expect(result.ok).toBe(false);
        if (result.ok) return;
        const cycleProblems = result.problems.filter((p) => /cycle|loops back/.test(p.problem));
        expect(cycleProblems.length).toBeGreaterThan(0);
        expect(cycleProblems.some((p) => p.node !== null && cycle.includes(p.node))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts the same cycle once it passes through a wait', () => {
    fc.assert(
      fc.property(withWaitlessCycle, (sample) => {
        fc.pre(sample !== undefined);
        if (!sample) return;
        const { graph, back } = sample;
        const pause: Node = { id: 'pause', type: 'wait', duration: 'PT30M' };
        const result = validateWorkflowGraph({
          nodes: [...graph.nodes, pause],
          edges: [...graph.edges, { ...back, to: 'pause' }, { from: 'pause', to: back.to, kind: 'next' }],
        });
        expect(result.ok ? [] : result.problems).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
