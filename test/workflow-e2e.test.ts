import { eventually } from './wait.js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QuickBooksEmulator, startQuickBooksEmulator } from '../emulators/quickbooks/server.js';
import { qboClient } from '../emulators/quickbooks/testing.js';
import { type StripeEmulator, startStripeEmulator } from '../emulators/stripe/server.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { catcherTransport, type MailTransport } from '../src/email/transport.js';
import { authorizeOnQuickBooks } from '../src/integrations/quickbooks/connection/test-harness.js';
import { quickbooksInboundJobHandlers } from '../src/integrations/quickbooks/inbound/jobs.js';
import { createQuickBooksIntegration } from '../src/integrations/quickbooks/settings.js';
import { quickbooksSyncJobHandlers } from '../src/integrations/quickbooks/sync/index.js';
import { stripeJobHandlers } from '../src/integrations/stripe/jobs.js';
import { createStripeIntegration } from '../src/integrations/stripe/settings.js';
import { stripeSyncJobHandlers } from '../src/integrations/stripe/sync/index.js';
import { Worker } from '../src/jobs/worker.js';
import { loadSecretBox } from '../src/security/secret-box.js';
import type { Db } from '../src/store/db.js';
import { withWorkflowWakes, workflowJobHandlers } from '../src/workflows/engine/handlers.js';
import { startTestApi, type TestApi } from './api.js';
import { freePort } from '../src/runtime/sandbox/emulators.js';
import { backends } from './databases.js';
import { authorizeOnStripe, parseForm, submitForm } from './stripe-browser.js';

interface InvoiceJson {
  id: string;
  number: number;
  status: string;
  balance: number;
  payment_link_url: string | null;
}
interface NodeJson {
  id: string;
  state: string;
  waiting_for: string | null;
  error: string | null;
}
interface RunJson {
  status: string;
  workflow_version_id: string;
  nodes: NodeJson[];
  executions: { node_id: string; state: string; due_at: string | null; attempts: number }[];
}
interface EntryJson {
  message: string;
  occurred_at: string;
}
type Qbo = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A catcher that counts what it was handed, and can tell the test when it was. */
function countingTransport(onDeliver: () => void = () => undefined): MailTransport & { delivered: number } {
  const inner = catcherTransport('Billing <billing@acme.test>');
  const transport = {
    ...inner,
    delivered: 0,
    deliver: async (message: Parameters<MailTransport['deliver']>[0]) => {
      transport.delivered += 1;
      const accepted = await inner.deliver(message);
      onDeliver();
      return accepted;
    },
  };
  return transport;
}

/**
 * The workflow engine's must-show flows over real HTTP, against the Stripe and QuickBooks emulators,
 * with the default invoice workflow: the seed scenario's timeline, pay by check, the review request
 * once per contact, a void cancelling the run, a manual step's timeout edge with a join, and a worker
 * dying mid-run with nothing done twice.
 */
describe.each(backends)('workflow engine end to end on $name', (backend) => {
  let stripe: StripeEmulator;
  let quickbooks: QuickBooksEmulator;
  let api: TestApi;
  let worker: Worker;
  let appUrl: string;
  let mail: ReturnType<typeof countingTransport>;
  const handlersFor = (db: Db, transport: MailTransport) => {
    const deps = { db, stripe: api.stripe, quickbooks: api.quickbooks };
    return withWorkflowWakes(db, {
      ...stripeJobHandlers(deps),
      ...stripeSyncJobHandlers(deps),
      ...quickbooksInboundJobHandlers(deps),
      ...quickbooksSyncJobHandlers(deps),
      ...workflowJobHandlers({ db, mail: transport }),
    });
  };
  const startWorker = (db: Db, transport: MailTransport, leaseMs = 10_000) => {
    const started = new Worker({
      db,
      concurrency: 6,
      pollIntervalMs: 10,
      leaseMs,
      backoff: { baseMs: 30, maxMs: 200, jitter: 0 },
      handlers: handlersFor(db, transport),
    });
    started.start();
    return started;
  };

  beforeAll(async () => {
    const port = await freePort('127.0.0.1');
    appUrl = `http://127.0.0.1:${port}`;
    stripe = await startStripeEmulator({
      ratePerSecond: 0,
      webhookRetry: { baseDelayMs: 5, maxAttempts: 6 },
    });
    quickbooks = await startQuickBooksEmulator({
      port: 0,
      redirectUris: [`${appUrl}/api/v1/integrations/quickbooks/oauth/callback`],
      webhooks: { url: `${appUrl}/webhooks/quickbooks`, batchWindowMs: 5, retryDelaysMs: [20, 50, 100] },
    });
    const config = loadConfig({
      STRIPE_API_BASE: stripe.url,
      STRIPE_CONNECT_BASE: stripe.url,
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_CLIENT_ID: stripe.clientId,
      QUICKBOOKS_API_BASE: quickbooks.url,
      QUICKBOOKS_OAUTH_BASE: quickbooks.url,
      QUICKBOOKS_CLIENT_ID: quickbooks.clientId,
      QUICKBOOKS_CLIENT_SECRET: quickbooks.clientSecret,
      QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN: quickbooks.verifierToken,
      PUBLIC_URL: appUrl,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    const secrets = loadSecretBox(config);
    api = await startTestApi(backend, {
      stripe: createStripeIntegration(config, secrets).settings,
      quickbooks: createQuickBooksIntegration(config, secrets).settings,
      secrets,
      logger: createLogger('error'),
    });
    await api.app.listen({ host: '127.0.0.1', port });
    mail = countingTransport();
    worker = startWorker(api.db, mail);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await quickbooks.close();
    await stripe.close();
  });

  const as = (key: string) => {
    const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
      const response = await fetch(path.startsWith('http') ? path : `${appUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      expect(response.status, `${method} ${path} → ${response.status}: ${text}`).toBeLessThan(300);
      return JSON.parse(text) as T;
    };
    const run = (invoiceId: string) => call<RunJson>('GET', `/api/v1/invoices/${invoiceId}/workflow`);
    const node = async (invoiceId: string, nodeId: string) =>
      (await run(invoiceId)).nodes.find((candidate) => candidate.id === nodeId) as NodeJson;
    const nodeReaches = (invoiceId: string, nodeId: string, state: string) =>
      eventually(`${nodeId} ${state}`, async () => {
        const current = await node(invoiceId, nodeId);
        if (current.state === 'failed' && state !== 'failed')
          throw new Error(`${nodeId} failed: ${current.error}`);
        return current.state === state ? current : undefined;
      });
    const timeline = async (invoiceId: string) =>
      (await call<{ data: EntryJson[] }>('GET', `/api/v1/invoices/${invoiceId}/timeline`)).data;
    const emails = async (template: string) =>
      (
        await call<{ data: { to: string[]; template: string; subject: string; sent_at: string }[] }>(
          'GET',
          '/api/v1/emails?limit=100',
        )
      ).data.filter((email) => email.template === template);
    return { call, run, node, nodeReaches, timeline, emails };
  };

  let owner: { key: string; tenantId: string };
  let client: ReturnType<typeof as>;
  let service: { id: string };
  let contactId: string;
  const realm = () => quickbooks.realmIds[0] ?? '';
  const inBooks = async (entity: string, where: string): Promise<Qbo[]> => {
    const answer = await qboClient(quickbooks, realm()).query(`SELECT * FROM ${entity} WHERE ${where}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return (answer.body.QueryResponse?.[entity] ?? []) as Qbo[];
  };
  const sentInvoice = async (c = client, contact = contactId, units = '2') => {
    const draft = await c.call<InvoiceJson>('POST', '/api/v1/invoices', {
      contact_id: contact,
      currency: 'USD',
      lines: [{ description: 'Consulting', quantity: units, unit_price: 10_000, service_id: service.id }],
    });
    await c.call('POST', `/api/v1/invoices/${draft.id}/send`, {});
    return draft;
  };

  it('connects Stripe and QuickBooks and turns the review-request automation on', async () => {
    owner = await api.tenant('owner');
    client = as(owner.key);
    const { call } = client;
    const stripeStart = await call<{ authorize_url: string }>(
      'POST',
      '/api/v1/integrations/stripe/oauth/start',
      {},
    );
    await call(
      'GET',
      (await authorizeOnStripe(stripeStart.authorize_url, { businessName: 'Acme' })).toString(),
    );
    const qboStart = await call<{ authorize_url: string }>(
      'POST',
      '/api/v1/integrations/quickbooks/oauth/start',
      {},
    );
    await call('GET', (await authorizeOnQuickBooks(qboStart.authorize_url, { realmId: realm() })).toString());
    expect(
      await call('PATCH', '/api/v1/automations/review-request', {
        enabled: true,
        review_url: 'https://reviews.test/acme',
      }),
    ).toMatchObject({ enabled: true });
    service = await call('POST', '/api/v1/services', {
      code: 'CONSULT',
      name: 'Consulting',
      unit_price: 10_000,
      currency: 'USD',
    });
    contactId = (
      await call<{ id: string }>('POST', '/api/v1/contacts', {
        kind: 'organization',
        name: 'Globex',
        email: 'ap@globex.test',
      })
    ).id;
  });

  it('runs the seed scenario: sync and payment link in parallel, paid through the link, synced again', async () => {
    const { call, run, nodeReaches, timeline, emails } = client;
    const invoice = await sentInvoice();
    await nodeReaches(invoice.id, 'sync_on_send', 'done');
    expect(await nodeReaches(invoice.id, 'collect_payment', 'waiting')).toMatchObject({
      waiting_for: 'payment',
    });
    expect(await nodeReaches(invoice.id, 'mark_paid_sync_track', 'waiting')).toMatchObject({
      waiting_for: 'person',
    });

    const link = (await call<InvoiceJson>('GET', `/api/v1/invoices/${invoice.id}`)).payment_link_url ?? '';
    const form = parseForm(await (await fetch(link)).text(), link);
    const paid = await submitForm(form.action, {
      ...form.fields,
      name: 'Ada Lovelace',
      number: '4242 4242 4242 4242',
      exp: '12 / 34',
      cvc: '123',
    });
    expect(paid.status).toBe(200);
    await nodeReaches(invoice.id, 'mark_paid_after_link', 'done');
    const finished = await eventually('the run to complete', async () => {
      const current = await run(invoice.id);
      return current.status === 'completed' ? current : undefined;
    });
    expect(finished.nodes.map((n) => [n.id, n.state])).toEqual(finished.nodes.map((n) => [n.id, 'done']));
    const [books] = await inBooks('Invoice', `DocNumber = '${invoice.number}'`);
    expect(books).toMatchObject({ TotalAmt: 200, Balance: 0 });

    const entries = await timeline(invoice.id);
    const interesting = entries
      .filter((entry) =>
        /^(Invoice was synced with QuickBooks|Payment link was sent|Payment received)/.test(entry.message),
      )
      .map((entry) => entry.message.replace(/:.*$/, ''));
    expect(interesting.slice(0, 2).sort()).toEqual([
      'Invoice was synced with QuickBooks',
      'Payment link was sent',
    ]);
    expect(interesting.slice(2)).toEqual(['Payment received', 'Invoice was synced with QuickBooks']);
    // Each entry carries the moment it happened: the link entry comes right after the email was sent.
    const linkEmails = await emails('payment_link');
    expect(linkEmails).toHaveLength(1);
    const linkEntry = entries.find((entry) => entry.message === 'Payment link was sent');
    expect(Date.parse(linkEntry?.occurred_at ?? '')).toBeGreaterThanOrEqual(
      Date.parse(linkEmails[0]?.sent_at ?? 'x'),
    );
    await eventually('the review request', async () =>
      (await emails('review_request')).length === 1 ? true : undefined,
    );
  });

  it('pays by check: a person marks it paid, QuickBooks records the payment, no second review request', async () => {
    const { call, run, nodeReaches, emails } = client;
    const invoice = await sentInvoice(client, contactId, '3');
    await nodeReaches(invoice.id, 'mark_paid_sync_track', 'waiting');
    const answered = await call<RunJson>(
      'POST',
      `/api/v1/invoices/${invoice.id}/workflow/nodes/mark_paid_sync_track/complete`,
      { status: 'paid', payment_method: 'check', reference: '1042' },
    );
    expect(answered.nodes.find((n) => n.id === 'mark_paid_sync_track')?.state).toBe('done');
    expect(await call<InvoiceJson>('GET', `/api/v1/invoices/${invoice.id}`)).toMatchObject({
      status: 'paid',
      balance: 0,
    });
    const settled = await eventually('the QuickBooks balance at zero', async () => {
      const [current] = await inBooks('Invoice', `DocNumber = '${invoice.number}'`);
      return current?.Balance === 0 ? current : undefined;
    });
    expect(settled.TotalAmt).toBe(300);
    await eventually('the run to complete', async () =>
      (await run(invoice.id)).status === 'completed' ? true : undefined,
    );
    expect(await emails('review_request')).toHaveLength(1);
  });

  it('cancels the run of a voided invoice', async () => {
    const { call, run, nodeReaches } = client;
    const invoice = await sentInvoice(client, contactId, '1');
    await nodeReaches(invoice.id, 'collect_payment', 'waiting');
    // Not while the QuickBooks push is still writing its outcome: voiding then can deadlock with it
    // (both want the invoice row and its quickbooks_invoice_sync row), which is not this test's point.
    await nodeReaches(invoice.id, 'sync_on_send', 'done');
    await call('POST', `/api/v1/invoices/${invoice.id}/void`, {});
    const cancelled = await run(invoice.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.executions.filter((e) => ['pending', 'running', 'waiting'].includes(e.state))).toEqual(
      [],
    );
  });

  it('fails visibly without connections, then follows a timeout edge into a join on the version it started on', async () => {
    const other = await api.tenant('owner');
    const c = as(other.key);
    const globex = await c.call<{ id: string }>('POST', '/api/v1/contacts', {
      kind: 'organization',
      name: 'Initech',
      email: 'ar@initech.test',
    });
    const draft = (units: string) =>
      c.call<InvoiceJson>('POST', '/api/v1/invoices', {
        contact_id: globex.id,
        currency: 'USD',
        lines: [{ description: 'Support', quantity: units, unit_price: 10_000 }],
      });
    const send = async (units: string) => {
      const invoice = await draft(units);
      await c.call('POST', `/api/v1/invoices/${invoice.id}/send`, {});
      return invoice;
    };

    // The default workflow, with neither Stripe nor QuickBooks connected: both tracks fail, saying why.
    const unconnected = await send('1');
    expect(await c.nodeReaches(unconnected.id, 'collect_payment', 'failed')).toMatchObject({
      error: 'Stripe is not connected, so the invoice has no payment link',
    });
    expect(await c.nodeReaches(unconnected.id, 'sync_on_send', 'failed')).toMatchObject({
      error: 'QuickBooks is not connected',
    });
    await eventually('the run to fail', async () =>
      (await c.run(unconnected.id)).status === 'failed' ? true : undefined,
    );
    const retried = await c.call<RunJson>(
      'POST',
      `/api/v1/invoices/${unconnected.id}/workflow/nodes/sync_on_send/retry`,
      {},
    );
    expect(retried.status).toBe('running');
    await c.nodeReaches(unconnected.id, 'sync_on_send', 'failed');

    // A person is asked; after the timeout the run goes on without them, joining the other track.
    const graph = (label: string) => ({
      nodes: [
        { id: 'sent', type: 'trigger', event: 'invoice_sent' },
        {
          id: 'ask',
          type: 'status_update',
          mode: 'manual',
          allowed_statuses: ['paid'],
          timeout: 'PT5M',
          label,
        },
        { id: 'big', type: 'condition', field: 'total', operator: 'gte', value: 15_000 },
        { id: 'meet', type: 'join' },
        { id: 'give_up', type: 'status_update', mode: 'automatic', status: 'uncollectible' },
      ],
      edges: [
        { from: 'sent', to: 'ask', kind: 'next' },
        { from: 'sent', to: 'big', kind: 'next' },
        { from: 'ask', to: 'meet', kind: 'timeout' },
        { from: 'ask', to: 'meet', kind: 'next' },
        { from: 'big', to: 'meet', kind: 'true' },
        { from: 'big', to: 'meet', kind: 'false' },
        { from: 'meet', to: 'give_up', kind: 'next' },
      ],
    });
    const workflow = await c.call<{ id: string; current: { id: string } }>('POST', '/api/v1/workflows', {
      name: 'Chase, then write off',
      graph: graph('Paid yet?'),
      bind: true,
    });
    const first = await send('2');
    const asking = await c.nodeReaches(first.id, 'ask', 'waiting');
    expect(asking.waiting_for).toBe('person');
    await c.nodeReaches(first.id, 'big', 'done');
    expect((await c.node(first.id, 'meet')).state).toBe('not_reached');
    const saved = await c.call<{ current: { id: string } }>('PUT', `/api/v1/workflows/${workflow.id}`, {
      graph: graph('Has the money come in?'),
    });
    expect(saved.current.id).not.toBe(workflow.current.id);

    // Five minutes pass: the step's own clock and its sleeping job are moved back by six.
    const before = await c.run(first.id);
    const due = before.executions.find((execution) => execution.node_id === 'ask')?.due_at ?? '';
    expect(Date.parse(due)).toBeGreaterThan(Date.now());
    await api.db.query(
      `UPDATE workflow_tokens SET created_at = created_at - interval '6 minutes' WHERE tenant_id = $1 AND node_id = 'ask'`,
      [other.tenantId],
    );
    await api.db.query(
      `UPDATE jobs SET run_at = now() WHERE tenant_id = $1 AND type = 'workflow.node' AND state = 'queued'`,
      [other.tenantId],
    );
    await c.nodeReaches(first.id, 'give_up', 'done');
    const ended = await c.run(first.id);
    expect(ended).toMatchObject({ status: 'completed', workflow_version_id: workflow.current.id });
    expect(ended.executions.find((execution) => execution.node_id === 'meet')).toMatchObject({
      state: 'done',
    });
    expect(await c.call<InvoiceJson>('GET', `/api/v1/invoices/${first.id}`)).toMatchObject({
      status: 'uncollectible',
    });
    const second = await send('1');
    await c.nodeReaches(second.id, 'ask', 'waiting');
    expect((await c.run(second.id)).workflow_version_id).toBe(saved.current.id);
  });

  it('resumes a run whose worker died mid-step, with one email, one Stripe invoice, one QuickBooks invoice', async () => {
    await worker.stop();
    const base = backend.name === 'postgres' ? api.database.connectAgain() : api.db;
    // The process dies right after the payment-link email is recorded as sent, before the step
    // records its outcome: from then on nothing it asks of the database ever comes back.
    let frozen = false;
    const never = new Promise<never>(() => undefined);
    const dying: Db = {
      kind: base.kind,
      query: async (sql, params) => {
        if (frozen) return never;
        const rows = await base.query(sql, params);
        if (sql.includes("UPDATE emails SET status = 'sent'")) frozen = true;
        return rows as never;
      },
      exec: async (sql) => (frozen ? never : base.exec(sql)),
      transaction: async (fn) => (frozen ? never : base.transaction(fn)),
      close: () => base.close(),
    };
    const doomedMail = countingTransport();
    const doomed = startWorker(dying, doomedMail, 1_500);
    const invoice = await sentInvoice(client, contactId, '4');
    await eventually('the doomed worker to send the email', async () => (frozen ? true : undefined));
    doomed.crash();
    if (base !== api.db) await base.close();

    const survivorMail = countingTransport();
    worker = startWorker(api.db, survivorMail, 1_500);
    await client.nodeReaches(invoice.id, 'collect_payment', 'waiting');
    await client.nodeReaches(invoice.id, 'sync_on_send', 'done');
    // The doomed worker sent it and froze before recording the step; only the survivor can have
    // brought the step to waiting, by running it again — and it found the email sent.
    expect([doomedMail.delivered, survivorMail.delivered]).toEqual([1, 0]);
    const resumed = (await client.run(invoice.id)).executions.find((e) => e.node_id === 'collect_payment');
    expect(resumed?.attempts).toBeGreaterThanOrEqual(2);
    const stripeInvoices = [...stripe.state.accounts.values()]
      .flatMap((account) =>
        account.all<{ id: string; object: string; metadata: Record<string, string> }>('invoice'),
      )
      .filter((candidate) => candidate.metadata.ledgerbridge_invoice_id === invoice.id);
    expect(stripeInvoices).toHaveLength(1);
    expect(await inBooks('Invoice', `DocNumber = '${invoice.number}'`)).toHaveLength(1);
    const sent = (await client.timeline(invoice.id)).filter(
      (entry) => entry.message === 'Payment link was sent',
    );
    expect(sent).toHaveLength(1);
    const links = (await client.emails('payment_link')).filter((email) =>
      email.subject.startsWith(`Invoice ${invoice.number} from`),
    );
    expect(links).toHaveLength(1);
  });
});
