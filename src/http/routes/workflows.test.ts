import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';
import { defaultInvoiceWorkflow } from '../../domain/workflows/index.js';
import { resolveWorkflowForFormType } from '../../workflows/definitions.js';

const graph = (label: string) => ({
  nodes: [
    { id: 'start', type: 'trigger', event: 'invoice_paid' },
    { id: 'thanks', type: 'send_email', template: 'review_request', recipients: ['contact'], label },
  ],
  edges: [{ from: 'start', to: 'thanks', kind: 'next' }],
});

describe.each(backends)('workflows API on $name', (backend) => {
  let api: TestApi;
  let tenant: TestTenant;
  beforeAll(async () => {
    api = await startTestApi(backend);
    tenant = await api.tenant();
  });
  afterAll(() => api.close());

  it('gives a new tenant the default invoice workflow, bound, once', async () => {
    const fresh = await api.tenant('viewer');
    const first = await fresh.request('GET', '/api/v1/workflows');
    expect(first.statusCode).toBe(200);
    const [summary, ...others] = first.json().data;
    expect(others).toEqual([]);
    expect(summary).toMatchObject({ form_type: 'invoice', origin: 'default', bound: true, version: 1 });
    const again = await fresh.request('GET', '/api/v1/workflows');
    expect(again.json().data).toEqual([summary]);

    const detail = (await fresh.request('GET', `/api/v1/workflows/${summary.id}`)).json();
    expect(detail.current).toMatchObject({ version: 1, created_by: 'system', graph: defaultInvoiceWorkflow });
    const bindings = (await fresh.request('GET', '/api/v1/workflow-bindings')).json();
    expect(bindings.data).toEqual([
      expect.objectContaining({
        form_type: 'invoice',
        workflow_id: summary.id,
        version_id: detail.current.id,
      }),
    ]);
    const resolved = await api.db.transaction((tx) =>
      resolveWorkflowForFormType(tx, fresh.tenantId, 'invoice'),
    );
    expect(resolved?.id).toBe(detail.current.id);
  });

  it('provisions the default once when first reads arrive together', async () => {
    const fresh = await api.tenant();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        fresh.request('GET', i % 2 ? '/api/v1/workflows' : '/api/v1/workflow-bindings'),
      ),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    const rows = await api.db.query(
      'SELECT (SELECT count(*)::int FROM workflows WHERE tenant_id = $1) AS workflows, ' +
        '(SELECT count(*)::int FROM workflow_definitions WHERE tenant_id = $1) AS versions, ' +
        '(SELECT count(*)::int FROM workflow_bindings WHERE tenant_id = $1) AS bindings',
      [fresh.tenantId],
    );
    expect(rows).toEqual([{ workflows: 1, versions: 1, bindings: 1 }]);
  });

  it('creates, versions, renames and lists versions; old versions stay as they were', async () => {
    const created = await tenant.request('POST', '/api/v1/workflows', {
      name: 'Thank-you',
      form_type: 'invoice',
      graph: graph('v1'),
    });
    expect(created.statusCode).toBe(201);
    const workflow = created.json();
    expect(workflow).toMatchObject({ object: 'workflow', origin: 'custom', bound: false, version: 1 });
    expect(workflow.id).toMatch(/^wfl_/);
    const v1 = workflow.current;
    expect(v1.id).toMatch(/^wfv_/);

    const saved = await tenant.request('PUT', `/api/v1/workflows/${workflow.id}`, { graph: graph('v2') });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({ version: 2, current: { version: 2, name: 'Thank-you' } });
    // Saving the same graph again is not a new version.
    const same = await tenant.request('PUT', `/api/v1/workflows/${workflow.id}`, { graph: graph('v2') });
    expect(same.json()).toMatchObject({ version: 2, current: { id: saved.json().current.id } });

    const renamed = await tenant.request('PATCH', `/api/v1/workflows/${workflow.id}`, { name: 'Say thanks' });
    expect(renamed.json()).toMatchObject({ name: 'Say thanks', version: 2 });

    const versions = (await tenant.request('GET', `/api/v1/workflows/${workflow.id}/versions`)).json();
    expect(versions.data.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const old = (await tenant.request('GET', `/api/v1/workflow-versions/${v1.id}`)).json();
    expect(old).toEqual(v1);
    expect(old.graph.nodes[1].label).toBe('v1');
    // Definitions are immutable in the database itself, whatever code path tries.
    await expect(
      api.db.query("UPDATE workflow_definitions SET name = 'x' WHERE id = $1", [v1.id]),
    ).rejects.toThrow(/immutable/);
    await expect(api.db.query('DELETE FROM workflow_definitions WHERE id = $1', [v1.id])).rejects.toThrow(
      /immutable/,
    );
  });

  it('answers 400 naming each node and its problem', async () => {
    const response = await tenant.request('POST', '/api/v1/workflows', {
      name: 'Broken',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', event: 'invoice_sent' },
          { id: 'qb', type: 'sync_quickbooks', colour: 'blue' },
          { id: 'after', type: 'sync_quickbooks' },
        ],
        edges: [
          { from: 'start', to: 'qb', kind: 'next' },
          { from: 'qb', to: 'after', kind: 'on_payment' },
          { from: 'after', to: 'nowhere', kind: 'next' },
        ],
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'invalid_workflow',
        message: 'graph: node "qb": unknown field "colour" (and 2 more problems)',
        details: [
          { node: 'qb', problem: 'unknown field "colour"' },
          { node: 'after', problem: 'its next edge goes to "nowhere", which is not a node of this workflow' },
          {
            node: 'qb',
            problem: 'a sync_quickbooks node cannot have an on_payment edge (it may have: next, on_failure)',
          },
        ],
      },
    });
    const count = await api.db.query("SELECT count(*)::int AS n FROM workflows WHERE name = 'Broken'");
    expect(count).toEqual([{ n: 0 }]);
  });

  it('binds one workflow per form type; a bound workflow cannot be archived', async () => {
    const list = async () => (await tenant.request('GET', '/api/v1/workflows?form_type=invoice')).json().data;
    const theDefault = (await list()).find((w: { origin: string }) => w.origin === 'default');
    const mine = (
      await tenant.request('POST', '/api/v1/workflows', { name: 'Mine', graph: graph('mine'), bind: true })
    ).json();
    expect(mine.bound).toBe(true);
    expect((await tenant.request('GET', `/api/v1/workflows/${theDefault.id}`)).json().bound).toBe(false);

    const refused = await tenant.request('DELETE', `/api/v1/workflows/${mine.id}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('workflow_bound');

    const rebound = await tenant.request('POST', `/api/v1/workflows/${theDefault.id}/bind`);
    expect(rebound.json()).toMatchObject({ id: theDefault.id, bound: true });
    const archived = await tenant.request('DELETE', `/api/v1/workflows/${mine.id}`);
    expect(archived.json()).toMatchObject({ status: 'archived', bound: false });
    expect((await tenant.request('POST', `/api/v1/workflows/${mine.id}/bind`)).statusCode).toBe(409);
    expect(
      (await tenant.request('PUT', `/api/v1/workflows/${mine.id}`, { graph: graph('x') })).statusCode,
    ).toBe(409);
    expect(
      (await list()).filter((w: { bound: boolean }) => w.bound).map((w: { id: string }) => w.id),
    ).toEqual([theDefault.id]);

    const unbound = await tenant.request('POST', `/api/v1/workflows/${theDefault.id}/unbind`);
    expect(unbound.json()).toMatchObject({ bound: false });
    expect((await tenant.request('GET', '/api/v1/workflow-bindings')).json().data).toEqual([]);
    // The default is not brought back once the tenant has changed its bindings.
    expect(await api.db.transaction((tx) => resolveWorkflowForFormType(tx, tenant.tenantId, 'invoice'))).toBe(
      undefined,
    );
    expect((await tenant.request('POST', `/api/v1/workflows/${theDefault.id}/unbind`)).statusCode).toBe(409);
  });

  it('starts new runs on the latest version of the bound workflow', async () => {
    const other = await api.tenant();
    const created = (
      await other.request('POST', '/api/v1/workflows', { name: 'Runs', graph: graph('one'), bind: true })
    ).json();
    const resolve = () =>
      api.db.transaction((tx) => resolveWorkflowForFormType(tx, other.tenantId, 'invoice'));
    expect((await resolve())?.id).toBe(created.current.id);
    const saved = (
      await other.request('PUT', `/api/v1/workflows/${created.id}`, { graph: graph('two') })
    ).json();
    const next = await resolve();
    expect(next).toMatchObject({ id: saved.current.id, version: 2 });
    expect(next?.graph.nodes[1]).toMatchObject({ label: 'two' });
  });

  it('lets viewers read and refuses their writes', async () => {
    const viewer = await tenant.keyFor('viewer');
    const asViewer = (method: 'GET' | 'POST', url: string, payload?: object) =>
      api.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${viewer}` },
        ...(payload && { payload }),
      });
    expect((await asViewer('GET', '/api/v1/workflows')).statusCode).toBe(200);
    const write = await asViewer('POST', '/api/v1/workflows', { name: 'No', graph: graph('no') });
    expect(write.statusCode).toBe(403);
  });
});
