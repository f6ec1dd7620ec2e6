import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from './api.js';
import { backends } from './databases.js';
import { createTenantFixture, type TenantFixture } from './fixtures.js';

/**
 * The tenant-isolation walk: tenant B, holding an owner key (every permission), calls every route
 * in the OpenAPI document with tenant A's ids. Routes addressing an object by id must answer 404
 * (never 403: existence must not leak); lists must show none of A's ids; bodies that reference A's
 * objects must be refused. Afterwards A's rows are exactly as they were.
 *
 * A route added to the API without an entry below fails this test, so the walk stays complete.
 */
type Expectation =
  | { kind: 'not_found'; body?: (a: TenantFixture) => unknown }
  | { kind: 'list' }
  | { kind: 'refused_reference'; body: (a: TenantFixture) => unknown }
  | { kind: 'own_tenant_only'; why: string };

const walk: Record<string, Expectation> = {
  'GET /healthz': { kind: 'own_tenant_only', why: 'no tenant data' },
  'GET /readyz': { kind: 'own_tenant_only', why: 'no tenant data' },
  'POST /api/v1/auth/login': { kind: 'own_tenant_only', why: 'signs in as a user found by email' },
  'POST /api/v1/auth/logout': { kind: 'own_tenant_only', why: 'ends the caller’s own session' },
  'GET /api/v1/me': { kind: 'list' },
  'GET /api/v1/users': { kind: 'list' },
  'POST /api/v1/users': { kind: 'own_tenant_only', why: 'creates in the caller’s tenant' },
  'GET /api/v1/api-keys': { kind: 'list' },
  'POST /api/v1/api-keys': { kind: 'own_tenant_only', why: 'creates in the caller’s tenant' },
  'DELETE /api/v1/api-keys/{id}': { kind: 'not_found' },
  'GET /api/v1/contacts': { kind: 'list' },
  'POST /api/v1/contacts': { kind: 'own_tenant_only', why: 'references nothing' },
  'GET /api/v1/contacts/{id}': { kind: 'not_found' },
  'PATCH /api/v1/contacts/{id}': { kind: 'not_found', body: () => ({ name: 'Taken over' }) },
  'GET /api/v1/services': { kind: 'list' },
  'POST /api/v1/services': { kind: 'own_tenant_only', why: 'references nothing' },
  'GET /api/v1/services/{id}': { kind: 'not_found' },
  'PATCH /api/v1/services/{id}': { kind: 'not_found', body: () => ({ name: 'Taken over' }) },
  'DELETE /api/v1/services/{id}': { kind: 'not_found' },
  'GET /api/v1/subscriptions': { kind: 'list' },
  'POST /api/v1/subscriptions': {
    kind: 'refused_reference',
    body: (a) => ({ contact_id: a.contactId, service_id: a.recurringServiceId }),
  },
  'GET /api/v1/subscriptions/{id}': { kind: 'not_found' },
  'POST /api/v1/subscriptions/{id}/cancel': { kind: 'not_found' },
  ...parentWalk('opportunities'),
  ...parentWalk('tickets'),
  ...parentWalk('orders'),
  'GET /api/v1/billables': { kind: 'list' },
  'POST /api/v1/billables': {
    kind: 'refused_reference',
    body: (a) => ({
      parent_type: 'opportunity',
      parent_id: a.opportunityId,
      description: 'x',
      quantity: '1',
      unit_price: 100,
      currency: 'USD',
    }),
  },
  'GET /api/v1/billables/{id}': { kind: 'not_found' },
  'PATCH /api/v1/billables/{id}': { kind: 'not_found', body: () => ({ description: 'Taken over' }) },
  'DELETE /api/v1/billables/{id}': { kind: 'not_found' },
  'POST /api/v1/invoices/from-billables': {
    kind: 'refused_reference',
    body: (a) => ({ billable_ids: [a.unbilledBillableId] }),
  },
  'GET /api/v1/invoices': { kind: 'list' },
  'POST /api/v1/invoices': {
    kind: 'refused_reference',
    body: (a) => ({
      contact_id: a.contactId,
      currency: 'USD',
      lines: [{ description: 'x', quantity: '1', unit_price: 100 }],
    }),
  },
  'GET /api/v1/invoices/{id}': { kind: 'not_found' },
  'PATCH /api/v1/invoices/{id}': { kind: 'not_found', body: () => ({ memo: 'Taken over' }) },
  'DELETE /api/v1/invoices/{id}': { kind: 'not_found' },
  'POST /api/v1/invoices/{id}/send': { kind: 'not_found' },
  'POST /api/v1/invoices/{id}/void': { kind: 'not_found' },
  'POST /api/v1/invoices/{id}/mark-uncollectible': { kind: 'not_found' },
  'POST /api/v1/invoices/{id}/archive': { kind: 'not_found' },
  'POST /api/v1/invoices/{id}/unarchive': { kind: 'not_found' },
  'GET /api/v1/invoices/{id}/timeline': { kind: 'not_found' },
  'GET /api/v1/invoices/{id}/payments': { kind: 'not_found' },
  'GET /api/v1/payments': { kind: 'list' },
  'POST /api/v1/payments': {
    kind: 'refused_reference',
    body: (a) => ({ invoice_id: a.invoiceId, amount: 100, currency: 'USD', method: 'cash' }),
  },
  'GET /api/v1/payments/{id}': { kind: 'not_found' },
  'GET /api/v1/payments/{id}/refunds': { kind: 'not_found' },
  'POST /api/v1/payments/{id}/refunds': { kind: 'not_found', body: () => ({ amount: 1 }) },
  'GET /api/v1/workflows': { kind: 'list' },
  'POST /api/v1/workflows': { kind: 'own_tenant_only', why: 'references nothing' },
  'GET /api/v1/workflows/{id}': { kind: 'not_found' },
  'PUT /api/v1/workflows/{id}': { kind: 'not_found', body: () => ({ graph: takeoverGraph }) },
  'PATCH /api/v1/workflows/{id}': { kind: 'not_found', body: () => ({ name: 'Taken over' }) },
  'DELETE /api/v1/workflows/{id}': { kind: 'not_found' },
  'GET /api/v1/workflows/{id}/versions': { kind: 'not_found' },
  'POST /api/v1/workflows/{id}/bind': { kind: 'not_found' },
  'POST /api/v1/workflows/{id}/unbind': { kind: 'not_found' },
  'GET /api/v1/workflow-versions/{id}': { kind: 'not_found' },
  'GET /api/v1/workflow-bindings': { kind: 'list' },
  'GET /api/v1/emails': { kind: 'list' },
  'GET /api/v1/emails/{id}': { kind: 'not_found' },
  'GET /api/v1/invoices/{id}/workflow': { kind: 'not_found' },
  'POST /api/v1/invoices/{id}/workflow/nodes/{nodeId}/retry': { kind: 'not_found' },
  'POST /api/v1/invoices/{id}/workflow/nodes/{nodeId}/complete': {
    kind: 'not_found',
    body: () => ({ status: 'paid' }),
  },
  'GET /api/v1/automations/review-request': { kind: 'list' },
  'PATCH /api/v1/automations/review-request': {
    kind: 'own_tenant_only',
    why: 'the caller’s own automation settings',
  },
  'GET /api/v1/automations/webhook-signing-secret': {
    kind: 'own_tenant_only',
    why: 'the caller’s own signing secret (webhook-signing-secret.test.ts checks tenants differ)',
  },
  'POST /api/v1/automations/webhook-signing-secret/roll': {
    kind: 'own_tenant_only',
    why: 'rolls the caller’s own signing secret',
  },
  'GET /api/v1/jobs': { kind: 'list' },
  'GET /api/v1/jobs/{id}': { kind: 'not_found' },
  'POST /api/v1/jobs/{id}/retry': { kind: 'not_found' },
  'POST /api/v1/jobs/{id}/cancel': { kind: 'not_found' },
  'GET /api/v1/integrations/stripe': { kind: 'list' },
  'POST /api/v1/integrations/stripe/api-key': {
    kind: 'own_tenant_only',
    why: 'connects the caller’s tenant (and calls Stripe)',
  },
  'POST /api/v1/integrations/stripe/oauth/start': {
    kind: 'own_tenant_only',
    why: 'a state bound to the caller’s tenant',
  },
  'GET /api/v1/integrations/stripe/oauth/callback': {
    kind: 'own_tenant_only',
    why: 'accepts only a state the caller started (src/integrations/stripe/oauth.test.ts)',
  },
  'POST /api/v1/integrations/stripe/verify': { kind: 'own_tenant_only', why: 'the caller’s connection only' },
  'PATCH /api/v1/integrations/stripe/settings': {
    kind: 'own_tenant_only',
    why: 'the caller’s connection only',
  },
  'DELETE /api/v1/integrations/stripe': { kind: 'own_tenant_only', why: 'the caller’s connection only' },
  'GET /api/v1/integrations/quickbooks': { kind: 'list' },
  'POST /api/v1/integrations/quickbooks/oauth/start': {
    kind: 'own_tenant_only',
    why: 'a state bound to the caller’s tenant',
  },
  'GET /api/v1/integrations/quickbooks/oauth/callback': {
    kind: 'own_tenant_only',
    why: 'accepts only a state the caller started (src/integrations/quickbooks/connection/oauth.test.ts)',
  },
  'POST /api/v1/integrations/quickbooks/verify': {
    kind: 'own_tenant_only',
    why: 'the caller’s connection only',
  },
  'DELETE /api/v1/integrations/quickbooks': { kind: 'own_tenant_only', why: 'the caller’s connection only' },
  'GET /api/v1/integrations/quickbooks/settings': {
    kind: 'own_tenant_only',
    why: 'the caller’s connection only',
  },
  'PATCH /api/v1/integrations/quickbooks/settings': {
    kind: 'own_tenant_only',
    why: 'the caller’s connection only',
  },
  'GET /api/v1/integrations/quickbooks/accounts': {
    kind: 'own_tenant_only',
    why: 'read from the caller’s QuickBooks company',
  },
  'GET /api/v1/integrations/quickbooks/tax-codes': {
    kind: 'own_tenant_only',
    why: 'read from the caller’s QuickBooks company',
  },
  'POST /webhooks/stripe': {
    kind: 'own_tenant_only',
    why: 'signed by Stripe; routed by account (src/integrations/stripe/webhook-ingest.test.ts)',
  },
  'POST /webhooks/quickbooks': {
    kind: 'own_tenant_only',
    why: 'signed by Intuit; routed by realm (src/integrations/quickbooks/inbound/webhook.test.ts)',
  },
};

/** A valid graph, so a PUT by another tenant gets as far as looking the workflow up. */
const takeoverGraph = {
  nodes: [{ id: 'start', type: 'trigger', event: 'invoice_sent' }],
  edges: [],
};

function parentWalk(plural: string): Record<string, Expectation> {
  return {
    [`GET /api/v1/${plural}`]: { kind: 'list' },
    [`POST /api/v1/${plural}`]: {
      kind: 'refused_reference',
      body: (a) => ({ title: 'x', contact_id: a.contactId }),
    },
    [`GET /api/v1/${plural}/{id}`]: { kind: 'not_found' },
    [`PATCH /api/v1/${plural}/{id}`]: { kind: 'not_found', body: () => ({ title: 'Taken over' }) },
    [`GET /api/v1/${plural}/{id}/billables`]: { kind: 'not_found' },
  };
}

/** Which of A's ids a path's {id} names, by the path's resource segment. */
function idFor(path: string, a: TenantFixture): string {
  const resource = path.split('/')[3];
  const ids: Record<string, string> = {
    'api-keys': a.apiKeyId,
    contacts: a.contactId,
    services: a.serviceId,
    subscriptions: a.subscriptionId,
    opportunities: a.opportunityId,
    tickets: a.ticketId,
    orders: a.orderId,
    billables: a.unbilledBillableId,
    invoices: a.invoiceId,
    payments: a.paymentId,
    jobs: a.deadJobId,
    workflows: a.workflowId,
    'workflow-versions': a.workflowVersionId,
    emails: a.emailId,
  };
  const id = resource ? ids[resource] : undefined;
  if (!id) throw new Error(`the walk has no id of A for ${path}`);
  return id;
}

describe.each(backends)('tenant isolation walk on $name', (backend) => {
  let api: TestApi;
  let a: TenantFixture;
  let b: TestTenant;
  beforeAll(async () => {
    api = await startTestApi(backend);
    a = await createTenantFixture(api);
    b = await api.tenant('owner');
    await createTenantFixture(api, b);
  });
  afterAll(() => api.close());

  it('covers every route of the API', () => {
    const operations = listOperations(api);
    expect(operations.filter((operation) => !(operation in walk))).toEqual([]);
    expect(Object.keys(walk).filter((operation) => !operations.includes(operation))).toEqual([]);
  });

  it("never lets tenant B read or change tenant A's data", async () => {
    const before = await snapshot(api, a.tenantId);
    const allIdsOfA = Object.values(a).filter(
      (value): value is string => typeof value === 'string' && value !== a.tenantId,
    );
    const failures: string[] = [];
    for (const operation of listOperations(api)) {
      const expectation = walk[operation];
      if (!expectation || expectation.kind === 'own_tenant_only') continue;
      const [method = 'GET', path = ''] = operation.split(' ');
      const url = path.replace('{id}', path.includes('{id}') ? idFor(path, a) : '');
      const body = 'body' in expectation && expectation.body ? expectation.body(a) : undefined;
      const response = await b.request(
        method,
        url,
        body ?? (method === 'GET' || method === 'DELETE' ? undefined : {}),
      );
      const leaked = allIdsOfA.find((id) => response.body.includes(id));
      if (expectation.kind === 'not_found' && response.statusCode !== 404) {
        failures.push(`${operation} answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
      } else if (expectation.kind === 'list' && response.statusCode !== 200) {
        failures.push(`${operation} answered ${response.statusCode}`);
      } else if (expectation.kind === 'refused_reference' && ![400, 404].includes(response.statusCode)) {
        failures.push(`${operation} answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
      }
      if (leaked && expectation.kind === 'list') failures.push(`${operation} showed A's ${leaked}`);
    }
    expect(failures).toEqual([]);
    expect(await snapshot(api, a.tenantId)).toEqual(before);
  });
});

describe.each(backends)('roles on $name', (backend) => {
  let api: TestApi;
  let a: TenantFixture;
  let viewer: string;
  beforeAll(async () => {
    api = await startTestApi(backend);
    const tenant = await api.tenant('owner');
    a = await createTenantFixture(api, tenant);
    viewer = await tenant.keyFor('viewer');
  });
  afterAll(() => api.close());

  it('refuses every write to a viewer with 403 and changes nothing', async () => {
    const before = await snapshot(api, a.tenantId);
    const failures: string[] = [];
    for (const operation of listOperations(api)) {
      const [method = 'GET', path = ''] = operation.split(' ');
      if (method === 'GET' || path.startsWith('/api/v1/auth/') || !path.startsWith('/api/v1/')) continue;
      const expectation = walk[operation];
      const url = path.replace('{id}', path.includes('{id}') ? idFor(path, a) : '');
      const body = expectation && 'body' in expectation && expectation.body ? expectation.body(a) : undefined;
      const response = await api.app.inject({
        method: method as 'POST',
        url,
        headers: { authorization: `Bearer ${viewer}` },
        ...(method === 'DELETE' ? {} : { payload: (body ?? {}) as Record<string, unknown> }),
      });
      if (response.statusCode !== 403) failures.push(`${operation} answered ${response.statusCode}`);
    }
    expect(failures).toEqual([]);
    expect(await snapshot(api, a.tenantId)).toEqual(before);
  });
});

function listOperations(api: TestApi): string[] {
  const doc = api.app.swagger() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** Every table with a tenant_id column, so a table added later is covered without editing this test. */
async function tenantTables(api: TestApi): Promise<string[]> {
  const rows = await api.db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
     WHERE column_name = 'tenant_id' AND table_schema = current_schema() ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

async function snapshot(api: TestApi, tenantId: string): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of await tenantTables(api)) {
    // last_used_at moves whenever a key is used; everything else must stay put.
    const rows = await api.db.query(`SELECT * FROM ${table} t WHERE tenant_id = $1 ORDER BY t::text`, [
      tenantId,
    ]);
    result[table] = rows.map(({ last_used_at: _ignored, ...rest }) => rest);
  }
  expect(Object.keys(result)).toEqual(
    expect.arrayContaining(['invoices', 'payments', 'jobs', 'webhook_inbox']),
  );
  return result;
}
