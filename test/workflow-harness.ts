import { afterAll, beforeAll, expect } from 'vitest';
import type { QuickBooksEmulator } from '../emulators/quickbooks/server.js';
import { qboClient } from '../emulators/quickbooks/testing.js';
import type { StripeEmulator } from '../emulators/stripe/server.js';
import { catcherTransport, type MailTransport } from '../src/email/transport.js';
import { authorizeOnQuickBooks } from '../src/integrations/quickbooks/connection/test-harness.js';
import { quickbooksInboundJobHandlers } from '../src/integrations/quickbooks/inbound/jobs.js';
import { quickbooksSyncJobHandlers } from '../src/integrations/quickbooks/sync/index.js';
import { stripeJobHandlers } from '../src/integrations/stripe/jobs.js';
import { stripeSyncJobHandlers } from '../src/integrations/stripe/sync/index.js';
import { Worker } from '../src/jobs/worker.js';
import { createLogger } from '../src/logger.js';
import type { Db } from '../src/store/db.js';
import { withWorkflowWakes, workflowJobHandlers } from '../src/workflows/engine/handlers.js';
import type { TestApi } from './api.js';
import { startEmulatedApp } from './emulated-app.js';
import type { TestBackend } from './databases.js';
import { authorizeOnStripe } from './stripe-browser.js';
import { eventually } from './wait.js';

/**
 * The workflow engine's end-to-end setting: the app over real HTTP, the Stripe and QuickBooks
 * emulators, and a worker running the integrations' and the engine's jobs with fast backoff.
 */

export interface InvoiceJson {
  id: string;
  number: number;
  status: string;
  balance: number;
  payment_link_url: string | null;
}
export interface NodeJson {
  id: string;
  state: string;
  waiting_for: string | null;
  error: string | null;
  result?: Record<string, unknown>;
}
export interface RunJson {
  status: string;
  workflow_version_id: string;
  nodes: NodeJson[];
  executions: {
    node_id: string;
    state: string;
    due_at: string | null;
    attempts: number;
    result: Record<string, unknown>;
  }[];
}
export interface EntryJson {
  message: string;
  occurred_at: string;
}
export type Qbo = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A catcher that counts what it was handed. */
export function countingTransport(): MailTransport & { delivered: number } {
  const inner = catcherTransport('Billing <billing@acme.test>');
  const transport = {
    ...inner,
    delivered: 0,
    deliver: async (message: Parameters<MailTransport['deliver']>[0]) => {
      transport.delivered += 1;
      return inner.deliver(message);
    },
  };
  return transport;
}

export interface WorkflowHarness {
  readonly api: TestApi;
  readonly stripe: StripeEmulator;
  readonly quickbooks: QuickBooksEmulator;
  readonly appUrl: string;
  /** The QuickBooks company `connect` connects to. */
  realm(): string;
  /** Stops the running worker and starts another on `db` (a test's dying one, or the survivor). */
  replaceWorker(db: Db, transport: MailTransport, leaseMs?: number): Promise<Worker>;
  as(key: string): Client;
  /** The emulated company's rows, through QuickBooks' query API. */
  inBooks(entity: string, where: string): Promise<Qbo[]>;
  /** A new owner connected to both emulators through their OAuth pages, with a service and a contact. */
  connect(): Promise<Business>;
}

export interface Business {
  readonly owner: { readonly key: string; readonly tenantId: string };
  readonly client: Client;
  readonly serviceId: string;
  readonly contactId: string;
  /** A sent invoice of `units` × 100.00 USD of the service. */
  sentInvoice(units?: string): Promise<InvoiceJson>;
}

export type Client = ReturnType<typeof clientFor>;

function clientFor(appUrl: string, key: string) {
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
}

/** Registers beforeAll/afterAll for a describe block; the harness is ready inside its tests. */
export function useWorkflowHarness(backend: TestBackend): () => WorkflowHarness {
  let harness: WorkflowHarness | undefined;
  let worker: Worker | undefined;
  let close: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    const app = await startEmulatedApp(backend, { logger: createLogger('error') });
    const { api, stripe, quickbooks, appUrl } = app;

    const handlersFor = (db: Db, transport: MailTransport) => {
      const deps = { db, stripe: api.stripe, quickbooks: api.quickbooks };
      return withWorkflowWakes(db, {
        ...stripeJobHandlers(deps),
        ...stripeSyncJobHandlers(deps),
        ...quickbooksInboundJobHandlers(deps),
        ...quickbooksSyncJobHandlers(deps),
        ...workflowJobHandlers({ db, mail: transport, secrets: api.stripe.secrets }),
      });
    };
    const replaceWorker = async (db: Db, transport: MailTransport, leaseMs = 10_000) => {
      await worker?.stop();
      worker = new Worker({
        db,
        concurrency: 6,
        pollIntervalMs: 10,
        leaseMs,
        backoff: { baseMs: 30, maxMs: 200, jitter: 0 },
        handlers: handlersFor(db, transport),
      });
      worker.start();
      return worker;
    };
    await replaceWorker(api.db, countingTransport());
    const realm = () => quickbooks.realmIds[0] ?? '';
    const as = (key: string) => clientFor(appUrl, key);

    harness = {
      api,
      stripe,
      quickbooks,
      appUrl,
      realm,
      replaceWorker,
      as,
      async inBooks(entity, where) {
        const answer = await qboClient(quickbooks, realm()).query(`SELECT * FROM ${entity} WHERE ${where}`);
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        return (answer.body.QueryResponse?.[entity] ?? []) as Qbo[];
      },
      async connect() {
        const owner = await api.tenant('owner');
        const client = as(owner.key);
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
        await call(
          'GET',
          (await authorizeOnQuickBooks(qboStart.authorize_url, { realmId: realm() })).toString(),
        );
        const service = await call<{ id: string }>('POST', '/api/v1/services', {
          code: 'CONSULT',
          name: 'Consulting',
          unit_price: 10_000,
          currency: 'USD',
        });
        const contact = await call<{ id: string }>('POST', '/api/v1/contacts', {
          kind: 'organization',
          name: 'Globex',
          email: 'ap@globex.test',
        });
        return {
          owner,
          client,
          serviceId: service.id,
          contactId: contact.id,
          async sentInvoice(units = '2') {
            const draft = await call<InvoiceJson>('POST', '/api/v1/invoices', {
              contact_id: contact.id,
              currency: 'USD',
              lines: [
                { description: 'Consulting', quantity: units, unit_price: 10_000, service_id: service.id },
              ],
            });
            await call('POST', `/api/v1/invoices/${draft.id}/send`, {});
            return draft;
          },
        };
      },
    };
    close = async () => {
      await worker?.stop();
      await app.close();
    };
  });
  afterAll(async () => {
    await close();
  });

  return () => {
    if (!harness) throw new Error('the workflow harness is used before its beforeAll ran');
    return harness;
  };
}
