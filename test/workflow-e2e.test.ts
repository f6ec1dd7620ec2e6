import { describe, expect, it } from 'vitest';
import { backends } from './databases.js';
import { parseForm, submitForm } from './stripe-browser.js';
import { eventually } from './wait.js';
import { type Business, type InvoiceJson, type RunJson, useWorkflowHarness } from './workflow-harness.js';

/**
 * The workflow engine's must-show flows over real HTTP, against the Stripe and QuickBooks emulators,
 * with the default invoice workflow: the seed scenario's timeline, pay by check, the review request
 * once per contact, and a void cancelling the run. Failures, retries and timeouts are in
 * workflow-failures.test.ts; a worker dying mid-run in workflow-crash.test.ts.
 */
describe.each(backends)('workflow engine end to end on $name', (backend) => {
  const h = useWorkflowHarness(backend);
  let business: Business | undefined;
  const acme = () => {
    if (!business) throw new Error('not connected yet');
    return business;
  };

  it('connects Stripe and QuickBooks and turns the review-request automation on', async () => {
    business = await h().connect();
    expect(
      await business.client.call('PATCH', '/api/v1/automations/review-request', {
        enabled: true,
        review_url: 'https://reviews.test/acme',
      }),
    ).toMatchObject({ enabled: true });
  });

  it('runs the seed scenario: sync and payment link in parallel, paid through the link, synced again', async () => {
    const { call, run, nodeReaches, timeline, emails } = acme().client;
    const invoice = await acme().sentInvoice();
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
    const [books] = await h().inBooks('Invoice', `DocNumber = '${invoice.number}'`);
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
    const { call, run, nodeReaches, emails } = acme().client;
    const invoice = await acme().sentInvoice('3');
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
      const [current] = await h().inBooks('Invoice', `DocNumber = '${invoice.number}'`);
      return current?.Balance === 0 ? current : undefined;
    });
    expect(settled.TotalAmt).toBe(300);
    await eventually('the run to complete', async () =>
      (await run(invoice.id)).status === 'completed' ? true : undefined,
    );
    expect(await emails('review_request')).toHaveLength(1);
  });

  it('cancels the run of a voided invoice', async () => {
    const { call, run, nodeReaches } = acme().client;
    const invoice = await acme().sentInvoice('1');
    await nodeReaches(invoice.id, 'collect_payment', 'waiting');
    await call('POST', `/api/v1/invoices/${invoice.id}/void`, {});
    const cancelled = await run(invoice.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.executions.filter((e) => ['pending', 'running', 'waiting'].includes(e.state))).toEqual(
      [],
    );
  });
});
