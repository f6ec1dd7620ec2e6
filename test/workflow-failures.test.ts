import { describe, expect, it } from 'vitest';
import { backends } from './databases.js';
import { eventually } from './wait.js';
import { type Business, type InvoiceJson, type RunJson, useWorkflowHarness } from './workflow-harness.js';

/**
 * Workflow runs when things go wrong: steps failing visibly and retried through the API (also when
 * what failed was the Stripe or QuickBooks job the step waits for), timeouts, and versions.
 */
describe.each(backends)('workflow failures and retries on $name', (backend) => {
  const h = useWorkflowHarness(backend);
  let business: Business | undefined;
  const acme = async () => (business ??= await h().connect());

  it('fails visibly without connections, then follows a timeout edge into a join on the version it started on', async () => {
    const other = await h().api.tenant('owner');
    const c = h().as(other.key);
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
    await h().api.db.query(
      `UPDATE workflow_tokens SET created_at = created_at - interval '6 minutes' WHERE tenant_id = $1 AND node_id = 'ask'`,
      [other.tenantId],
    );
    await h().api.db.query(
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

  it('retries a step whose Stripe push was dead-lettered: the push runs again, the link is emailed once', async () => {
    const { client, sentInvoice } = await acme();
    const { stripe } = h();
    // Stripe fails every invoice creation until the push has used up its attempts.
    await fetch(`${stripe.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'error', path_prefix: '/v1/invoices', method: 'POST' }),
    });
    const invoice = await sentInvoice('1');
    const failed = await client.nodeReaches(invoice.id, 'collect_payment', 'failed');
    expect(failed.error).toMatch(/^the Stripe push failed: /);
    await fetch(`${stripe.url}/_emulator/faults`, { method: 'DELETE' });

    const retried = await client.call<RunJson>(
      'POST',
      `/api/v1/invoices/${invoice.id}/workflow/nodes/collect_payment/retry`,
      {},
    );
    expect(retried.status).toBe('running');
    // Waiting for the link while the revived push runs, then for the payment once it is emailed.
    await eventually('the link emailed', async () => {
      const step = await client.node(invoice.id, 'collect_payment');
      return step.waiting_for === 'payment' ? step : undefined;
    });
    const current = await client.call<InvoiceJson>('GET', `/api/v1/invoices/${invoice.id}`);
    expect(current.payment_link_url).toMatch(/^http/);
    const messages = (await client.timeline(invoice.id)).map((entry) => entry.message);
    expect(messages).toContain('Workflow step "Email the payment link" was retried');
    expect(messages.filter((message) => message === 'Payment link was sent')).toHaveLength(1);
    const links = (await client.emails('payment_link')).filter((email) =>
      email.subject.startsWith(`Invoice ${invoice.number} from`),
    );
    expect(links).toHaveLength(1);
  });

  it('retries a step whose QuickBooks push was dead-lettered: one invoice in the books', async () => {
    const { client, sentInvoice } = await acme();
    const { quickbooks } = h();
    await fetch(`${quickbooks.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'error', entity: 'invoice', method: 'POST' }),
    });
    const invoice = await sentInvoice('3');
    const failed = await client.nodeReaches(invoice.id, 'sync_on_send', 'failed');
    expect(failed.error).toMatch(/^the QuickBooks push failed: /);
    await fetch(`${quickbooks.url}/_emulator/faults`, { method: 'DELETE' });

    await client.call('POST', `/api/v1/invoices/${invoice.id}/workflow/nodes/sync_on_send/retry`, {});
    await client.nodeReaches(invoice.id, 'sync_on_send', 'done');
    const books = await h().inBooks('Invoice', `DocNumber = '${invoice.number}'`);
    expect(books).toHaveLength(1);
    expect(books[0]).toMatchObject({ TotalAmt: 300 });
  });

  it('leaves the email to Stripe when the connection has Stripe email invoices', async () => {
    const { client, sentInvoice } = await acme();
    await client.call('PATCH', '/api/v1/integrations/stripe/settings', { send_invoices_by_email: true });
    try {
      const invoice = await sentInvoice('2');
      await eventually('the link sent by Stripe', async () => {
        const step = await client.node(invoice.id, 'collect_payment');
        return step.waiting_for === 'payment' ? step : undefined;
      });
      const run = await client.run(invoice.id);
      const step = run.executions.find((execution) => execution.node_id === 'collect_payment');
      expect(step?.result).toMatchObject({ emailed_by: 'stripe' });
      const sent = (await client.timeline(invoice.id)).filter(
        (entry) => entry.message === 'Payment link was sent',
      );
      expect(sent).toHaveLength(1); // Stripe's, not a second one of ours
      const ours = (await client.emails('payment_link')).filter((email) =>
        email.subject.startsWith(`Invoice ${invoice.number} from`),
      );
      expect(ours).toEqual([]);
    } finally {
      await client.call('PATCH', '/api/v1/integrations/stripe/settings', { send_invoices_by_email: false });
    }
  });
});
