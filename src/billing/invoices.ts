import {
  assertInvoiceDeletable,
  canTransitionBillable,
  IllegalTransitionError,
  type InvoiceAction,
  type InvoiceStatus,
  transitionInvoice,
} from '../domain/index.js';
import { AppError, invalidField, notFound } from '../http/errors.js';
import { enqueueQboInvoiceSync } from '../integrations/quickbooks/sync/enqueue.js';
import { enqueueInvoicePush } from '../integrations/stripe/sync/enqueue.js';
import type { Db, Queryable } from '../store/db.js';
import { getContact } from '../store/repositories/contacts.js';
import {
  deleteInvoice,
  getInvoice,
  type Invoice,
  type InvoicePatch,
  type InvoiceWithLines,
  insertInvoice,
  takeInvoiceNumber,
  updateInvoice,
  withLines,
} from '../store/repositories/invoices.js';
import {
  invoiceBillables,
  lockBillables,
  moveInvoiceBillables,
} from '../store/repositories/invoices-billables.js';
import { deleteInvoiceLines, insertInvoiceLines } from '../store/repositories/invoices-lines.js';
import { appendInvoiceEvent } from '../store/repositories/timeline.js';
import { cancelInvoiceRun } from '../workflows/engine/cancel.js';
import { emitInvoiceEvent } from '../workflows/engine/triggers.js';
import { type LineDraft, priceLines } from './lines.js';

/** Who is acting: every query is scoped to the tenant, every timeline event names the actor. */
export interface Actor {
  readonly tenantId: string;
  readonly actor: string;
}

export interface InvoiceHeader {
  readonly dueDate: string | null;
  readonly memo: string | null;
  readonly formType: string;
}

export async function getInvoiceOrThrow(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<InvoiceWithLines> {
  const invoice = await getInvoice(db, tenantId, id);
  if (!invoice) throw notFound('invoice', id);
  return withLines(db, invoice);
}

/** Locks an invoice of the tenant for the rest of the transaction, or answers 404. */
export async function lockInvoice(tx: Queryable, tenantId: string, id: string): Promise<Invoice> {
  const invoice = await getInvoice(tx, tenantId, id, { forUpdate: true });
  if (!invoice) throw notFound('invoice', id);
  return invoice;
}

/**
 * Bills unbilled items: one draft invoice, one line per billable in the order given. The billables are
 * locked first, so of two concurrent requests for the same items the second waits, then finds them
 * invoiced and fails with 409; nothing is ever billed twice.
 */
export async function createInvoiceFromBillables(
  db: Db,
  who: Actor,
  billableIds: readonly string[],
  header: InvoiceHeader,
): Promise<InvoiceWithLines> {
  const duplicate = billableIds.find((id, index) => billableIds.indexOf(id) !== index);
  if (duplicate !== undefined) throw invalidField('billable_ids', `${duplicate} is listed twice`);
  return db.transaction(async (tx) => {
    const billables = await lockBillables(tx, who.tenantId, billableIds);
    const found = new Set(billables.map((b) => b.id));
    const missing = billableIds.filter((id) => !found.has(id));
    if (missing.length > 0) throw notFound('billable', missing.join("', '"));

    const currencies = [...new Set(billables.map((b) => b.currency))].sort();
    if (currencies.length > 1) {
      throw new AppError(
        'validation',
        'mixed_currencies',
        `billables are in different currencies (${currencies.join(', ')}); an invoice has exactly one currency`,
        { currencies },
      );
    }
    const contacts = [...new Set(billables.map((b) => b.contactId))].sort();
    if (contacts.length > 1) {
      throw new AppError(
        'validation',
        'mixed_contacts',
        `billables belong to different contacts (${contacts.join(', ')}); an invoice is for one contact`,
        { contact_ids: contacts },
      );
    }
    const billed = billables.find((b) => !canTransitionBillable(b.status, 'invoice'));
    if (billed) {
      throw new AppError(
        'conflict',
        'billable_already_invoiced',
        `billable ${billed.id} is already ${billed.status}${billed.invoiceId ? ` on invoice ${billed.invoiceId}` : ''}`,
        { billable_id: billed.id, status: billed.status, invoice_id: billed.invoiceId },
      );
    }
    const [first] = billables;
    if (!first) throw invalidField('billable_ids', 'must name at least one billable');

    const drafts: LineDraft[] = billables.map((b) => ({
      description: b.description,
      quantity: b.quantity,
      unitPrice: b.unitPrice,
      serviceId: b.serviceId,
      billableId: b.id,
      discount: b.discount,
      taxRate: b.taxRate,
      taxInclusive: b.taxInclusive,
    }));
    const invoice = await storeNewInvoice(tx, who, first.contactId, first.currency, drafts, header);
    await invoiceBillables(tx, who.tenantId, billables, invoice.id);
    return invoice;
  });
}

/** An invoice with lines written by hand (not from billables). */
export async function createInvoice(
  db: Db,
  who: Actor,
  input: { contactId: string; currency: string; lines: readonly LineDraft[] } & InvoiceHeader,
): Promise<InvoiceWithLines> {
  return db.transaction(async (tx) => {
    if (!(await getContact(tx, who.tenantId, input.contactId))) throw notFound('contact', input.contactId);
    return storeNewInvoice(tx, who, input.contactId, input.currency, input.lines, input);
  });
}

export async function storeNewInvoice(
  tx: Queryable,
  who: Actor,
  contactId: string,
  currency: string,
  drafts: readonly LineDraft[],
  header: InvoiceHeader,
): Promise<InvoiceWithLines> {
  // Priced before the number is taken: bad input fails without holding the tenant's number lock.
  const priced = priceLines(currency, drafts);
  const number = await takeInvoiceNumber(tx, who.tenantId);
  const invoice = await insertInvoice(tx, who.tenantId, {
    number,
    contactId,
    currency,
    formType: header.formType,
    totals: priced.totals,
    issueDate: new Date().toISOString().slice(0, 10),
    dueDate: header.dueDate,
    memo: header.memo,
  });
  const lines = await insertInvoiceLines(tx, who.tenantId, invoice.id, priced.lines);
  const billableIds = drafts.flatMap((d) => (d.billableId === null ? [] : [d.billableId]));
  await appendInvoiceEvent(tx, {
    ...event(who, invoice.id),
    kind: 'invoice.created',
    message: 'Invoice was created',
    data: {
      number,
      total: invoice.total,
      currency,
      ...(billableIds.length > 0 && { billable_ids: billableIds }),
    },
  });
  await emitInvoiceEvent(tx, invoice, 'invoice_created');
  return { ...invoice, lines };
}

export interface DraftPatch {
  readonly dueDate?: string | null | undefined;
  readonly memo?: string | null | undefined;
  /** Replaces every line; billables on the old lines are released to be billed again. */
  readonly lines?: readonly LineDraft[] | undefined;
}

export async function updateDraftInvoice(
  db: Db,
  who: Actor,
  id: string,
  patch: DraftPatch,
): Promise<InvoiceWithLines> {
  return db.transaction(async (tx) => {
    const invoice = await lockInvoice(tx, who.tenantId, id);
    if (invoice.status !== 'draft') {
      throw new IllegalTransitionError(
        'invoice',
        invoice.status,
        'edit',
        `cannot edit an invoice that is ${words(invoice.status)} (only drafts can be edited)`,
      );
    }
    const fields = Object.keys(patch).filter((key) => patch[key as keyof DraftPatch] !== undefined);
    // An empty PATCH changes nothing, so it leaves no trace on the timeline either.
    if (fields.length === 0) return withLines(tx, invoice);
    const changes: { -readonly [K in keyof InvoicePatch]: InvoicePatch[K] } = {};
    if (patch.dueDate !== undefined) changes.dueDate = patch.dueDate;
    if (patch.memo !== undefined) changes.memo = patch.memo;
    let released: string[] = [];
    if (patch.lines !== undefined) {
      const priced = priceLines(invoice.currency, patch.lines);
      released = await moveInvoiceBillables(tx, who.tenantId, id, 'release');
      await deleteInvoiceLines(tx, who.tenantId, id);
      await insertInvoiceLines(tx, who.tenantId, id, priced.lines);
      Object.assign(changes, {
        subtotal: priced.totals.subtotal,
        discountTotal: priced.totals.discount,
        taxTotal: priced.totals.tax,
        total: priced.totals.total,
        balance: priced.totals.total,
      });
    }
    const updated = await updateInvoice(tx, who.tenantId, id, changes);
    await appendInvoiceEvent(tx, {
      ...event(who, id),
      kind: 'invoice.updated',
      message: 'Invoice was updated',
      data: {
        fields: fields.map((key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)),
        total: updated.total,
        ...(released.length > 0 && { released_billable_ids: released }),
      },
    });
    return withLines(tx, updated);
  });
}

/** Deletes a draft outright (drafts are never voided) and frees its billables. */
export async function deleteDraftInvoice(db: Db, who: Actor, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const invoice = await lockInvoice(tx, who.tenantId, id);
    assertInvoiceDeletable(invoice.status);
    await moveInvoiceBillables(tx, who.tenantId, id, 'release');
    await deleteInvoice(tx, who.tenantId, id);
  });
}

export type ManualInvoiceAction = Extract<
  InvoiceAction,
  'send' | 'void' | 'mark_uncollectible' | 'archive' | 'unarchive'
>;

const messages: Readonly<Record<ManualInvoiceAction, string>> = {
  send: 'Invoice was sent',
  void: 'Invoice was voided',
  mark_uncollectible: 'Invoice was marked uncollectible',
  archive: 'Invoice was archived',
  unarchive: 'Invoice was unarchived',
};

const kinds: Readonly<Record<ManualInvoiceAction, string>> = {
  send: 'invoice.sent',
  void: 'invoice.voided',
  mark_uncollectible: 'invoice.marked_uncollectible',
  archive: 'invoice.archived',
  unarchive: 'invoice.unarchived',
};

/**
 * Applies one lifecycle action; the domain's state machine decides whether it is allowed (409 with
 * its message otherwise). Voiding releases the invoice's billables so they can be invoiced again:
 * a voided invoice is a cancelled bill, and the work it listed is still owed by someone.
 */
export async function transitionInvoiceStatus(
  db: Db,
  who: Actor,
  id: string,
  action: ManualInvoiceAction,
): Promise<InvoiceWithLines> {
  return db.transaction((tx) => transitionInvoiceStatusIn(tx, who, id, action));
}

/** The same, inside the caller's transaction (a workflow step setting a status). */
export async function transitionInvoiceStatusIn(
  tx: Queryable,
  who: Actor,
  id: string,
  action: ManualInvoiceAction,
): Promise<InvoiceWithLines> {
  const invoice = await lockInvoice(tx, who.tenantId, id);
  const status = transitionInvoice(invoice.status, action, {
    archivedFrom: invoice.archivedFrom ?? undefined,
  });
  const patch: { -readonly [K in keyof InvoicePatch]: InvoicePatch[K] } = { status };
  let released: string[] = [];
  if (action === 'send') {
    patch.stamp = 'sent_at';
    // Sent without a due date, it is due on receipt — said explicitly, so Stripe, QuickBooks (which
    // would otherwise apply its own terms) and this invoice all carry the same date.
    if (invoice.dueDate === null) patch.dueDate = dueOnReceipt(invoice.issueDate);
  }
  if (action === 'void') {
    patch.stamp = 'voided_at';
    released = await moveInvoiceBillables(tx, who.tenantId, id, 'release');
  }
  if (action === 'archive') patch.archivedFrom = invoice.status;
  if (action === 'unarchive') patch.archivedFrom = null;
  const updated = await updateInvoice(tx, who.tenantId, id, patch);
  await appendInvoiceEvent(tx, {
    ...event(who, id),
    kind: kinds[action],
    message: messages[action],
    data: {
      from: invoice.status,
      to: status,
      ...(released.length > 0 && { released_billable_ids: released }),
    },
  });
  // With Stripe connected, a sent invoice is pushed there (the job commits with the send, or not at all).
  if (action === 'send') await enqueueInvoicePush(tx, who.tenantId, id);
  // With QuickBooks connected, a sent invoice is pushed there and a void follows it (never when the
  // actor is QuickBooks itself: no echo, see src/integrations/quickbooks/sync/enqueue.ts).
  if (action === 'send' || action === 'void') {
    await enqueueQboInvoiceSync(tx, who.tenantId, updated, action, who.actor);
  }
  // The invoice's workflow run starts (or continues) on sending; voiding or archiving ends it.
  if (action === 'send') await emitInvoiceEvent(tx, updated, 'invoice_sent');
  if (action === 'void' || action === 'archive') {
    await cancelInvoiceRun(
      tx,
      who.tenantId,
      id,
      `the invoice was ${status === 'void' ? 'voided' : 'archived'}`,
    );
  }
  return withLines(tx, updated);
}

export function event(who: Actor, invoiceId: string) {
  return { tenantId: who.tenantId, invoiceId, actor: who.actor, system: 'ledgerbridge' as const };
}

export function words(status: InvoiceStatus): string {
  return status.replaceAll('_', ' ');
}

/** The later of the issue date and today (UTC): an invoice cannot fall due before it is issued. */
function dueOnReceipt(issueDate: string): string {
  const today = new Date().toISOString().slice(0, 10);
  return issueDate > today ? issueDate : today;
}
