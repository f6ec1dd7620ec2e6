import { describe, expect, it } from 'vitest';
import { defaultInvoiceWorkflow, defaultWorkflowFor } from './default-template.js';
import { durationMinutes, OUTGOING_EDGE_KINDS } from './nodes.js';
import { assertValidWorkflowGraph, InvalidWorkflowError, validateWorkflowGraph } from './validate.js';

const trigger = { id: 'start', type: 'trigger', event: 'invoice_sent' };
const sync = (id: string) => ({ id, type: 'sync_quickbooks' });
const next = (from: string, to: string, kind = 'next') => ({ from, to, kind });

function problemsOf(graph: unknown) {
  const result = validateWorkflowGraph(graph);
  if (result.ok) throw new Error('expected the graph to be refused');
  return result.problems;
}

describe('workflow validation', () => {
  it('accepts a small graph and fills in defaults', () => {
    const result = validateWorkflowGraph({
      nodes: [trigger, { id: 'collect', type: 'collect_payment' }, sync('sync')],
      edges: [next('start', 'collect'), next('collect', 'sync', 'on_payment')],
    });
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.graph.nodes[1]).toEqual({ id: 'collect', type: 'collect_payment', email_customer: true });
  });

  it('names an unknown node type', () => {
    expect(
      problemsOf({ nodes: [trigger, { id: 'x', type: 'teleport' }], edges: [next('start', 'x')] }),
    ).toEqual([
      { node: 'x', problem: expect.stringMatching(/^unknown node type "teleport" \(known types: trigger, /) },
      { node: 'start', problem: 'its next edge goes to "x", which is not a node of this workflow' },
    ]);
  });

  it('names unknown fields on a node', () => {
    expect(problemsOf({ nodes: [{ ...trigger, colour: 'red', size: 2 }], edges: [] })).toEqual([
      { node: 'start', problem: 'unknown fields "colour", "size"' },
    ]);
  });

  it('names a bad field value with its field', () => {
    const problems = problemsOf({
      nodes: [trigger, { id: 'mail', type: 'send_email', template: 'newsletter', recipients: ['contact'] }],
      edges: [next('start', 'mail')],
    });
    expect(problems).toEqual([{ node: 'mail', problem: expect.stringContaining('"template"') }]);
  });

  it('names dangling edges by the node they leave', () => {
    expect(
      problemsOf({ nodes: [trigger], edges: [next('start', 'ghost'), next('nowhere', 'start')] }),
    ).toEqual([
      { node: 'start', problem: 'its next edge goes to "ghost", which is not a node of this workflow' },
      { node: 'nowhere', problem: 'edges[1] leaves "nowhere", which is not a node of this workflow' },
    ]);
  });

  it('names unreachable nodes', () => {
    expect(problemsOf({ nodes: [trigger, sync('a'), sync('island')], edges: [next('start', 'a')] })).toEqual([
      { node: 'island', problem: 'it cannot be reached from any trigger' },
    ]);
  });

  it('refuses an on_payment edge from a node that cannot have one', () => {
    expect(
      problemsOf({
        nodes: [trigger, sync('a'), sync('b')],
        edges: [next('start', 'a'), next('a', 'b', 'on_payment')],
      }),
    ).toEqual([
      {
        node: 'a',
        problem: 'a sync_quickbooks node cannot have an on_payment edge (it may have: next, on_failure)',
      },
    ]);
  });

  it('refuses a cycle without a wait, naming a node on it and listing the cycle', () => {
    const problems = problemsOf({
      nodes: [trigger, sync('a'), sync('b'), sync('c')],
      edges: [next('start', 'a'), next('a', 'b'), next('b', 'c'), next('c', 'a')],
    });
    expect(problems).toEqual([
      { node: 'a', problem: expect.stringContaining('is on a cycle ("a", "b", "c") with no wait node') },
    ]);
  });

  it('refuses a node looping to itself', () => {
    expect(
      problemsOf({ nodes: [trigger, sync('a')], edges: [next('start', 'a'), next('a', 'a', 'on_failure')] }),
    ).toEqual([
      { node: 'a', problem: 'it loops back to itself with no wait in between, which would run forever' },
    ]);
  });

  it('accepts a cycle through a wait with a duration, but not through a wait until a moment', () => {
    const withWait = (wait: object) => ({
      nodes: [trigger, sync('a'), { id: 'pause', type: 'wait', ...wait }],
      edges: [next('start', 'a'), next('a', 'pause', 'on_failure'), next('pause', 'a')],
    });
    expect(validateWorkflowGraph(withWait({ duration: 'PT1H' })).ok).toBe(true);
    expect(problemsOf(withWait({ until: '2030-01-01T00:00:00Z' }))).toEqual([
      { node: 'a', problem: expect.stringContaining('on a cycle ("a", "pause")') },
    ]);
  });

  it('requires a join to have at least two incoming edges', () => {
    expect(problemsOf({ nodes: [trigger, { id: 'j', type: 'join' }], edges: [next('start', 'j')] })).toEqual([
      { node: 'j', problem: expect.stringContaining('at least two incoming edges (it has 1)') },
    ]);
  });

  it('refuses a join whose tracks come from different triggers', () => {
    const problems = problemsOf({
      nodes: [
        trigger,
        { id: 'paid', type: 'trigger', event: 'invoice_paid' },
        sync('a'),
        sync('b'),
        { id: 'j', type: 'join' },
      ],
      edges: [next('start', 'a'), next('paid', 'b'), next('a', 'j'), next('b', 'j')],
    });
    expect(problems).toEqual([
      { node: 'j', problem: expect.stringContaining('trigger "start" never reaches "b"') },
      { node: 'j', problem: expect.stringContaining('trigger "paid" never reaches "a"') },
    ]);
  });

  it('needs a trigger, one per event, and no edges into it', () => {
    expect(problemsOf({ nodes: [sync('a')], edges: [] })).toContainEqual({
      node: null,
      problem: 'the workflow has no trigger node, so nothing would ever start it',
    });
    expect(
      problemsOf({
        nodes: [trigger, { ...trigger, id: 'again' }, sync('a')],
        edges: [next('start', 'a'), next('a', 'again')],
      }),
    ).toEqual([
      {
        node: 'again',
        problem: expect.stringContaining('trigger "start" already starts the workflow on invoice_sent'),
      },
      { node: 'again', problem: 'a trigger cannot have incoming edges (the next edge from "a")' },
    ]);
  });

  it('checks which fields go together on status updates, waits and conditions', () => {
    const graph = (node: object) => ({ nodes: [trigger, { id: 'n', ...node }], edges: [next('start', 'n')] });
    expect(problemsOf(graph({ type: 'status_update', mode: 'automatic' }))).toEqual([
      { node: 'n', problem: 'an automatic status update needs "status"' },
    ]);
    expect(problemsOf(graph({ type: 'status_update', mode: 'manual', status: 'paid' }))).toHaveLength(2);
    expect(problemsOf(graph({ type: 'wait' }))).toEqual([
      { node: 'n', problem: 'a wait needs exactly one of "duration" or "until"' },
    ]);
    expect(problemsOf(graph({ type: 'condition', field: 'total', operator: 'gt', value: '10' }))).toEqual([
      { node: 'n', problem: 'total is an amount in minor units: "value" must be a non-negative integer' },
    ]);
    expect(problemsOf(graph({ type: 'condition', field: 'currency', operator: 'lt', value: 'USD' }))).toEqual(
      [{ node: 'n', problem: '"lt" needs an amount or a date; currency is text' }],
    );
    expect(
      validateWorkflowGraph(graph({ type: 'condition', field: 'currency', operator: 'in', value: ['USD'] }))
        .ok,
    ).toBe(true);
  });

  it('ties a timeout edge to a manual status update with a timeout', () => {
    const manual = { id: 'ask', type: 'status_update', mode: 'manual', allowed_statuses: ['paid'] };
    expect(
      problemsOf({
        nodes: [trigger, manual, sync('later')],
        edges: [next('start', 'ask'), next('ask', 'later', 'timeout')],
      }),
    ).toEqual([{ node: 'ask', problem: 'it has a timeout edge but no "timeout" duration' }]);
    expect(
      problemsOf({ nodes: [trigger, { ...manual, timeout: 'P7D' }], edges: [next('start', 'ask')] }),
    ).toEqual([{ node: 'ask', problem: 'it has a "timeout" but no timeout edge to follow when it expires' }]);
  });

  it('refuses a malformed document as a whole', () => {
    expect(problemsOf({ nodes: [], edges: [], extra: 1 })).toEqual(
      expect.arrayContaining([{ node: null, problem: 'unknown field "extra"' }]),
    );
    expect(problemsOf('not a graph')).toHaveLength(1);
  });

  it('throws one error carrying every problem', () => {
    const graph = { nodes: [trigger, sync('a'), sync('b')], edges: [] };
    expect(() => assertValidWorkflowGraph(graph)).toThrow(InvalidWorkflowError);
    expect(() => assertValidWorkflowGraph(graph)).toThrow(
      'The workflow is invalid: node "a": it cannot be reached from any trigger; node "b": it cannot be reached from any trigger',
    );
  });

  it('reads durations', () => {
    expect(durationMinutes('P3D')).toBe(3 * 1440);
    expect(durationMinutes('PT12H')).toBe(720);
    expect(durationMinutes('P1DT2H30M')).toBe(1440 + 150);
    expect(
      validateWorkflowGraph({
        nodes: [trigger, { id: 'w', type: 'wait', duration: 'PT' }],
        edges: [next('start', 'w')],
      }).ok,
    ).toBe(false);
  });
});

describe('the default invoice workflow', () => {
  it('validates and follows the Stripe + QuickBooks design', () => {
    expect(validateWorkflowGraph(defaultInvoiceWorkflow)).toEqual({
      ok: true,
      graph: defaultInvoiceWorkflow,
    });
    const edgesFrom = (id: string) => defaultInvoiceWorkflow.edges.filter((edge) => edge.from === id);
    const typeOf = (id: string) => defaultInvoiceWorkflow.nodes.find((node) => node.id === id)?.type;
    // collect_payment and sync_quickbooks start as parallel tracks from the trigger
    expect(
      edgesFrom('invoice_sent')
        .map((edge) => typeOf(edge.to))
        .sort(),
    ).toEqual(['collect_payment', 'sync_quickbooks']);
    // a payment through the link syncs QuickBooks again
    const onPayment = edgesFrom('collect_payment').find((edge) => edge.kind === 'on_payment');
    expect(onPayment && typeOf(onPayment.to)).toBe('sync_quickbooks');
    // every track ends in a status update that can mark the invoice paid
    const leaves = defaultInvoiceWorkflow.nodes.filter((node) => edgesFrom(node.id).length === 0);
    expect(leaves.length).toBe(3);
    for (const leaf of leaves) {
      expect(leaf.type).toBe('status_update');
      if (leaf.type === 'status_update')
        expect([leaf.status, ...(leaf.allowed_statuses ?? [])]).toContain('paid');
    }
    expect(defaultWorkflowFor('invoice')?.graph).toBe(defaultInvoiceWorkflow);
    expect(defaultWorkflowFor('estimate')).toBeUndefined();
  });

  it('only uses edge kinds its node types may emit', () => {
    for (const edge of defaultInvoiceWorkflow.edges) {
      const node = defaultInvoiceWorkflow.nodes.find((candidate) => candidate.id === edge.from);
      expect(node && OUTGOING_EDGE_KINDS[node.type]).toContain(edge.kind);
    }
  });
});
