import { describe, expect, it } from 'vitest';
import type { Db } from '../src/store/db.js';
import { backends } from './databases.js';
import { eventually } from './wait.js';
import { countingTransport, useWorkflowHarness } from './workflow-harness.js';

/** A worker dying in the middle of a workflow step: the run resumes, and no effect happens twice. */
describe.each(backends)('a workflow run surviving a crash on $name', (backend) => {
  const h = useWorkflowHarness(backend);

  it('resumes a run whose worker died mid-step, with one email, one Stripe invoice, one QuickBooks invoice', async () => {
    const { api, stripe } = h();
    const { client, sentInvoice } = await h().connect();
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
    const doomed = await h().replaceWorker(dying, doomedMail, 1_500);
    const invoice = await sentInvoice('4');
    await eventually('the doomed worker to send the email', async () => (frozen ? true : undefined));
    doomed.crash();
    if (base !== api.db) await base.close();

    const survivorMail = countingTransport();
    await h().replaceWorker(api.db, survivorMail, 1_500);
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
    expect(await h().inBooks('Invoice', `DocNumber = '${invoice.number}'`)).toHaveLength(1);
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
