import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresOnly } from '../../../../test/databases.js';
import { eventually } from '../../../../test/wait.js';
import { ORDERING_LOCK_NAMESPACE } from '../../../jobs/queue.js';
import type { Db } from '../../../store/db.js';
import { listInvoiceEvents } from '../../../store/repositories/timeline.js';
import { invoiceOrderingKey } from './enqueue.js';
import { markInvoiceFailed, succeeded } from './invoice-push.js';
import { type PushHarness, type PushTenant, startPushHarness } from './test-harness.js';

/**
 * Voiding an invoice while its QuickBooks push writes its outcome, interleaved by hand so the
 * dangerous order happens every time: the void holds the invoice row and is about to write the
 * quickbooks_invoice_sync row (its QuickBooks job's "pending"), and only then does the outcome write
 * start. Before both took the invoice row first, the outcome write held the sync row and waited for
 * the invoice row (its timeline entry's foreign key), the void waited for the sync row, and
 * PostgreSQL killed one of them as a deadlock (the void answered 500). PGlite has one connection, so
 * it cannot interleave anything.
 */
describe.skipIf(!postgresOnly)('voiding while the QuickBooks push writes its outcome', () => {
  let h: PushHarness;
  beforeAll(async () => {
    if (!postgresOnly) throw new Error('unreachable');
    h = await startPushHarness(postgresOnly);
  });
  afterAll(() => h.close());

  async function sentInvoice(t: PushTenant): Promise<string> {
    const contact = await t.post<{ id: string }>('/api/v1/contacts', {
      kind: 'organization',
      name: 'Initech',
    });
    const invoice = await t.post<{ id: string }>('/api/v1/invoices', {
      contact_id: contact.id,
      currency: 'USD',
      lines: [{ description: 'Work', quantity: '1', unit_price: 10_000 }],
    });
    // Sending enqueues the push and marks it pending; its job is left queued (the test plays its end).
    await t.post(`/api/v1/invoices/${invoice.id}/send`, {});
    return invoice.id;
  }

  /** The backend blocked by `pid`, once there is one. */
  const blockedBy = (db: Db, pid: number, what: string) =>
    eventually(what, async () => {
      const [row] = await db.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))',
        [pid],
      );
      return row?.pid;
    });

  /**
   * Holds the advisory lock the void takes (its QuickBooks job's ordering key) right after locking
   * the invoice row, so the void stops there until `open()`.
   */
  async function gate(db: Db, invoiceId: string) {
    let open = () => undefined as void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    let held: (pid: number) => void = () => undefined;
    const pid = new Promise<number>((resolve) => {
      held = resolve;
    });
    const done = db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        ORDERING_LOCK_NAMESPACE,
        invoiceOrderingKey(invoiceId),
      ]);
      const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      held(Number(row?.pid));
      await opened;
    });
    return { pid: await pid, open, done };
  }

  const outcomes = {
    succeeded: (t: PushTenant, invoiceId: string) =>
      succeeded({ db: h.api.db, tenantId: t.tenantId, realmId: t.realmId }, invoiceId, '1', 'created'),
    failed: (t: PushTenant, invoiceId: string) =>
      markInvoiceFailed(h.api.db, t.tenantId, invoiceId, 'QuickBooks refused', { attempt: 25 }),
  };

  it.each(Object.keys(outcomes) as (keyof typeof outcomes)[])(
    'the void and the %s outcome both commit, one after the other',
    async (outcome) => {
      const t = await h.tenant();
      const invoiceId = await sentInvoice(t);
      const { db } = h.api;

      const held = await gate(db, invoiceId);
      const voiding = t.request('POST', `/api/v1/invoices/${invoiceId}/void`, {});
      const voidPid = await blockedBy(db, held.pid, 'the void to hold the invoice and wait at the gate');
      const writing = outcomes[outcome](t, invoiceId);
      await blockedBy(db, voidPid, 'the outcome write to wait for the void');
      held.open();
      await held.done;

      const [voided, written] = await Promise.allSettled([voiding, writing]);
      expect(written).toEqual({ status: 'fulfilled', value: undefined });
      if (voided.status === 'rejected') throw voided.reason;
      expect(voided.value.statusCode, voided.value.body).toBe(200);
      const messages = (await listInvoiceEvents(db, t.tenantId, invoiceId)).map((e) => e.message);
      expect(messages).toContain('Invoice was voided');
      expect(messages).toContain(
        outcome === 'succeeded'
          ? 'Invoice was synced with QuickBooks'
          : 'Invoice was not synced with QuickBooks: QuickBooks refused',
      );
    },
  );
});
