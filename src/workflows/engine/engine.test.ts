import { eventually } from '../../../test/wait.js';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';
import { catcherTransport } from '../../email/transport.js';
import { Worker } from '../../jobs/worker.js';
import { workflowJobHandlers } from './handlers.js';
import { signPayload } from './nodes/webhook.js';

interface Delivery {
  readonly path: string;
  readonly body: string;
  readonly signature: string;
  readonly idempotencyKey: string;
}

const read = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => resolve(body));
  });

/**
 * The engine on its own (no integrations), with a real worker and a real HTTP receiver for webhook
 * nodes: parallel tracks that really run at once, a join, a condition, signed webhooks retried after
 * a 5xx, a failed step retried through the API, and a wait.
 */
describe.each(backends)('workflow engine on $name', (backend) => {
  let api: TestApi;
  let worker: Worker;
  let receiver: Server;
  let base: string;
  const deliveries: Delivery[] = [];
  /** Per path: what to answer next (default 200). */
  const answers = new Map<string, number[]>();
  let bCalled!: () => void;
  const bArrived = new Promise<void>((resolve) => (bCalled = resolve));

  beforeAll(async () => {
    api = await startTestApi(backend);
    receiver = createServer((request, response) => {
      void (async () => {
        const body = await read(request);
        const path = request.url ?? '';
        deliveries.push({
          path,
          body,
          signature: String(request.headers['ledgerbridge-signature']),
          idempotencyKey: String(request.headers['idempotency-key']),
        });
        // Track "a" answers only once track "b" has been called: sequential tracks would hang here.
        if (path === '/b') bCalled();
        if (path === '/a') await bArrived;
        response.statusCode = answers.get(path)?.shift() ?? 200;
        response.end('ok');
      })();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    worker = new Worker({
      db: api.db,
      concurrency: 4,
      pollIntervalMs: 10,
      backoff: { baseMs: 20, maxMs: 50, jitter: 0 },
      handlers: workflowJobHandlers({
        db: api.db,
        mail: catcherTransport('Billing <b@acme.test>'),
        secrets: api.stripe.secrets,
      }),
    });
    worker.start();
  });
  afterAll(async () => {
    await worker.stop();
    await new Promise((resolve) => receiver.close(resolve));
    await api.close();
  });

  const call = async (tenant: TestTenant, method: string, url: string, body?: unknown) => {
    const response = await tenant.request(method, url, body);
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
    return response.json<Record<string, any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const sendInvoice = async (tenant: TestTenant, units: string) => {
    const contact = await call(tenant, 'POST', '/api/v1/contacts', {
      kind: 'individual',
      name: 'Ada',
      email: 'ada@example.test',
    });
    const invoice = await call(tenant, 'POST', '/api/v1/invoices', {
      contact_id: contact.id,
      currency: 'USD',
      lines: [{ description: 'Work', quantity: units, unit_price: 10_000 }],
    });
    await call(tenant, 'POST', `/api/v1/invoices/${invoice.id}/send`, {});
    return invoice.id as string;
  };
  const runOf = (tenant: TestTenant, invoiceId: string) =>
    call(tenant, 'GET', `/api/v1/invoices/${invoiceId}/workflow`);
  const finished = (tenant: TestTenant, invoiceId: string, status: string) =>
    eventually(`the run ${status}`, async () => {
      const run = await runOf(tenant, invoiceId);
      return run.status === status ? run : undefined;
    });

  it('runs parallel tracks at once, joins them, and signs each webhook', async () => {
    const tenant = await api.tenant();
    await call(tenant, 'POST', '/api/v1/workflows', {
      name: 'Parallel',
      bind: true,
      graph: {
        nodes: [
          { id: 'sent', type: 'trigger', event: 'invoice_sent' },
          { id: 'a', type: 'webhook', url: `${base}/a` },
          { id: 'b', type: 'webhook', url: `${base}/b` },
          { id: 'meet', type: 'join' },
          { id: 'big', type: 'condition', field: 'total', operator: 'gt', value: 15_000 },
          { id: 'large', type: 'webhook', url: `${base}/large` },
          { id: 'small', type: 'webhook', url: `${base}/small` },
        ],
        edges: [
          { from: 'sent', to: 'a', kind: 'next' },
          { from: 'sent', to: 'b', kind: 'next' },
          { from: 'a', to: 'meet', kind: 'next' },
          { from: 'b', to: 'meet', kind: 'next' },
          { from: 'meet', to: 'big', kind: 'next' },
          { from: 'big', to: 'large', kind: 'true' },
          { from: 'big', to: 'small', kind: 'false' },
        ],
      },
    });
    answers.set('/large', [503]);
    // Mid-roll: the replaced secret still signs next to the new one, so either verifies.
    const replaced = await call(tenant, 'GET', '/api/v1/automations/webhook-signing-secret');
    const rolled = await call(tenant, 'POST', '/api/v1/automations/webhook-signing-secret/roll', {});
    const invoiceId = await sendInvoice(tenant, '2');
    const run = await finished(tenant, invoiceId, 'completed');
    const states = Object.fromEntries(
      run.nodes.map((node: { id: string; state: string }) => [node.id, node.state]),
    );
    expect(states).toEqual({
      sent: 'done',
      a: 'done',
      b: 'done',
      meet: 'done',
      big: 'done',
      large: 'done',
      small: 'not_reached',
    });
    // /large failed once (503) and was delivered again under the same idempotency key.
    const large = deliveries.filter((delivery) => delivery.path === '/large');
    expect(large).toHaveLength(2);
    expect(new Set(large.map((delivery) => delivery.idempotencyKey)).size).toBe(1);
    for (const delivery of deliveries) {
      const timestamp = Number(/^t=(\d+),/.exec(delivery.signature)?.[1]);
      expect(delivery.signature).toBe(
        signPayload([rolled.secret, replaced.secret], delivery.body, timestamp),
      );
      expect(JSON.parse(delivery.body)).toMatchObject({
        type: 'workflow.webhook',
        invoice: { id: invoiceId },
      });
    }
  });

  it('fails a step visibly, retries it through the API, and waits out a wait', async () => {
    const tenant = await api.tenant();
    await call(tenant, 'POST', '/api/v1/workflows', {
      name: 'Retry',
      bind: true,
      graph: {
        nodes: [
          { id: 'sent', type: 'trigger', event: 'invoice_sent' },
          { id: 'hook', type: 'webhook', url: `${base}/refuses` },
          { id: 'pause', type: 'wait', duration: 'PT10M' },
          { id: 'done', type: 'status_update', mode: 'automatic', status: 'uncollectible' },
        ],
        edges: [
          { from: 'sent', to: 'hook', kind: 'next' },
          { from: 'hook', to: 'pause', kind: 'next' },
          { from: 'pause', to: 'done', kind: 'next' },
        ],
      },
    });
    answers.set('/refuses', [400]);
    const invoiceId = await sendInvoice(tenant, '1');
    const failed = await finished(tenant, invoiceId, 'failed');
    expect(failed.nodes.find((node: { id: string }) => node.id === 'hook')).toMatchObject({
      state: 'failed',
      error: `${base}/refuses answered 400`,
    });
    await call(tenant, 'POST', `/api/v1/invoices/${invoiceId}/workflow/nodes/hook/retry`, {});
    const waiting = await eventually('the wait', async () => {
      const run = await runOf(tenant, invoiceId);
      const pause = run.executions.find((execution: { node_id: string }) => execution.node_id === 'pause');
      return pause?.state === 'waiting' ? run : undefined;
    });
    expect(waiting.status).toBe('running');
    // Ten minutes pass.
    await api.db.query(
      `UPDATE workflow_tokens SET created_at = created_at - interval '11 minutes' WHERE tenant_id = $1 AND node_id = 'pause'`,
      [tenant.tenantId],
    );
    await api.db.query(`UPDATE jobs SET run_at = now() WHERE tenant_id = $1 AND state = 'queued'`, [
      tenant.tenantId,
    ]);
    await finished(tenant, invoiceId, 'completed');
    const invoice = await call(tenant, 'GET', `/api/v1/invoices/${invoiceId}`);
    expect(invoice.status).toBe('uncollectible');
  });

  it('starts on a contact trigger and on payments, and asks for a review only while the automation is on', async () => {
    const tenant = await api.tenant();
    const emails = async (template: string) =>
      (
        (await call(tenant, 'GET', '/api/v1/emails?limit=100')).data as { template: string; to: string[] }[]
      ).filter((email) => email.template === template);
    await call(tenant, 'PATCH', '/api/v1/automations/review-request', {
      review_url: 'https://reviews.test/x',
    });
    await call(tenant, 'POST', '/api/v1/workflows', {
      name: 'Welcome and thank',
      bind: true,
      graph: {
        nodes: [
          { id: 'new_contact', type: 'trigger', event: 'contact_created' },
          {
            id: 'welcome',
            type: 'send_email',
            template: 'review_request',
            recipients: ['contact', 'crm@acme.test'],
          },
          { id: 'money', type: 'trigger', event: 'payment_received' },
          { id: 'tell', type: 'webhook', url: `${base}/payment` },
        ],
        edges: [
          { from: 'new_contact', to: 'welcome', kind: 'next' },
          { from: 'money', to: 'tell', kind: 'next' },
        ],
      },
    });
    const invoiceId = await sendInvoice(tenant, '1');
    const welcome = await eventually('the welcome email', async () => {
      const found = await emails('review_request');
      return found.length > 0 ? found : undefined;
    });
    expect(welcome).toHaveLength(1);
    expect([...(welcome[0]?.to ?? [])].sort()).toEqual(['ada@example.test', 'crm@acme.test']);
    // Sending starts nothing (no invoice_sent trigger); each payment fires payment_received once.
    await expect(tenant.request('GET', `/api/v1/invoices/${invoiceId}/workflow`)).resolves.toMatchObject({
      statusCode: 404,
    });
    const before = deliveries.filter((delivery) => delivery.path === '/payment').length;
    for (const amount of [4_000, 6_000]) {
      await call(tenant, 'POST', '/api/v1/payments', {
        invoice_id: invoiceId,
        amount,
        currency: 'USD',
        method: 'check',
      });
    }
    await finished(tenant, invoiceId, 'completed');
    const tells = deliveries.filter((delivery) => delivery.path === '/payment');
    expect(tells.length - before).toBe(2);
    // Paid in full, the contact's first invoice: but the automation is off, so no review request
    // (it would have been enqueued in the payment's own transaction).
    const jobs = await api.db.query(
      "SELECT 1 FROM jobs WHERE tenant_id = $1 AND type = 'workflow.review_request'",
      [tenant.tenantId],
    );
    expect(jobs).toEqual([]);
    expect(await emails('review_request')).toHaveLength(1);
  });
});
