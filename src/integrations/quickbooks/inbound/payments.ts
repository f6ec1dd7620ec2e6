import { adjustExternalPayment } from '../../../billing/external-changes.js';
import { recordPaymentInTransaction } from '../../../billing/payments.js';
import {
  CurrencyMismatchError,
  Dec,
  IllegalTransitionError,
  money,
  OverpaymentError,
  type PaymentMethod,
  toDecimalString,
} from '../../../domain/index.js';
import type { Queryable } from '../../../store/db.js';
import { findLinkByExternal } from '../../../store/repositories/external-links.js';
import { getInvoice, type Invoice } from '../../../store/repositories/invoices.js';
import { type Payment, paymentFromRow } from '../../../store/repositories/payments.js';
import type { QboObject } from '../types.js';
import { linesOf, linkedTxns, toMinor } from './amounts.js';
import {
  appendOnce,
  type Commit,
  ignored,
  type PullContext,
  type PullOutcome,
  quickbooksActor,
  stringField,
} from './context.js';
import { taggedLocalId } from './tags.js';

/**
 * A QuickBooks Payment, applied as it is NOW. Each invoice it pays (its lines' LinkedTxn) gets one
 * ledgerbridge payment with source 'quickbooks' and external_id `<Payment Id>:<Invoice Id>` — one
 * per linked invoice, since one QuickBooks payment may pay several invoices and our key is unique.
 * A payment changed in QuickBooks adjusts ours to the new amount; voided (amounts zero) or deleted,
 * ours is removed — the invoice's balance and status follow (billing/external-changes.ts).
 *
 * CreditMemos: QuickBooks applies a credit to an invoice through a Payment whose lines link the
 * invoice and the credit memo. The invoice's part is recorded like any payment (method 'other',
 * memo naming the credit memo), so an applied credit reduces the balance and can pay the invoice.
 * A credit memo that is not applied changes no balance.
 *
 * Payments the push created from ours (linked, or tagged in their PrivateNote) are recognised and
 * never recorded twice; a change made to them in QuickBooks is a conflict note, not a change here.
 */
export interface PaymentFollowUps {
  /** Before: an invoice the payment pays that is not linked yet (it may be imported). */
  readonly ensureInvoice: (qboInvoiceId: string) => Promise<void>;
  /**
   * After: invoices whose QuickBooks payment shrank or went away. QuickBooks unapplies payments when
   * it voids or deletes their invoice, so the invoice's own state is applied again now that it is
   * unpaid here (a void refused while the payment stood goes through).
   */
  readonly reduced: (qboInvoiceIds: readonly string[]) => Promise<void>;
}

export async function pullPayment(
  ctx: PullContext,
  qboPaymentId: string,
  object: QboObject | undefined,
  commit: Commit,
  followUps: PaymentFollowUps,
): Promise<PullOutcome> {
  const pushed = await pushedPayment(ctx, qboPaymentId, object);
  if (pushed)
    return ignored(`QuickBooks payment ${qboPaymentId} is ledgerbridge payment ${pushed}, pushed from here`);

  const targets = object ? appliedAmounts(object) : new Map<string, string>();
  const credits = object ? creditMemoIds(object) : [];
  for (const qboInvoiceId of targets.keys()) await followUps.ensureInvoice(qboInvoiceId);

  const reduced: string[] = [];
  const outcome = await commit(async (tx) => {
    const before = await recordedParts(tx, ctx.tenantId, qboPaymentId);
    const targetsHere: { qboInvoiceId: string; invoiceId: string }[] = [];
    const skipped: string[] = [];
    for (const qboInvoiceId of new Set([...targets.keys(), ...before.keys()])) {
      const invoiceId = before.get(qboInvoiceId)?.invoiceId ?? (await linkedInvoiceId(tx, ctx, qboInvoiceId));
      if (invoiceId) targetsHere.push({ qboInvoiceId, invoiceId });
      else skipped.push(qboInvoiceId);
    }
    // Locked in id order, so two payments touching the same invoices never deadlock; then what is
    // recorded is read again: payments of an invoice only change under its lock.
    targetsHere.sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : a.invoiceId > b.invoiceId ? 1 : 0));
    const invoices: { qboInvoiceId: string; invoice: Invoice }[] = [];
    for (const { qboInvoiceId, invoiceId } of targetsHere) {
      const invoice = await getInvoice(tx, ctx.tenantId, invoiceId, { forUpdate: true });
      if (invoice) invoices.push({ qboInvoiceId, invoice });
    }
    const existing = await recordedParts(tx, ctx.tenantId, qboPaymentId);
    const changes: string[] = [];
    for (const { qboInvoiceId, invoice } of invoices) {
      const target = toMinor(targets.get(qboInvoiceId) ?? 0, invoice.currency);
      const recorded = existing.get(qboInvoiceId);
      const change = await applyPart(tx, ctx, invoice, object, {
        qboPaymentId,
        qboInvoiceId,
        target,
        recorded,
        credits,
      });
      if (change) changes.push(change);
      if (change && recorded && target < recorded.amount) reduced.push(qboInvoiceId);
    }
    if (changes.length > 0) return { status: 'processed', note: changes.join('; ') };
    if (invoices.length === 0) {
      return ignored(
        `QuickBooks payment ${qboPaymentId} pays no ledgerbridge invoice (${skipped.join(', ') || 'none'})`,
      );
    }
    return ignored('every part of this payment is already recorded as it is');
  });
  if (reduced.length > 0) await followUps.reduced(reduced);
  return outcome;
}

interface Part {
  readonly qboPaymentId: string;
  readonly qboInvoiceId: string;
  readonly target: number;
  readonly recorded: Payment | undefined;
  readonly credits: readonly string[];
}

/** What changed for one invoice, or undefined when nothing did. */
async function applyPart(
  tx: Queryable,
  ctx: PullContext,
  invoice: Invoice,
  object: QboObject | undefined,
  part: Part,
): Promise<string | undefined> {
  const who = quickbooksActor(ctx.tenantId, ctx.via);
  const externalId = `${part.qboPaymentId}:${part.qboInvoiceId}`;
  const data = {
    quickbooks_payment_id: part.qboPaymentId,
    external_id: externalId,
    target: String(part.target),
  };
  try {
    if (part.recorded) {
      if (part.recorded.amount === part.target) return undefined;
      await adjustExternalPayment(tx, who, invoice, part.recorded, part.target, {
        message:
          part.target === 0
            ? 'Payment was voided or deleted in QuickBooks'
            : 'Payment amount was changed in QuickBooks',
        data: { quickbooks_payment_id: part.qboPaymentId },
      });
      return `${externalId}: ${part.recorded.amount} → ${part.target}`;
    }
    if (part.target <= 0 || !object) return undefined;
    const credit = part.credits.length > 0 ? `credit memo ${part.credits.join(', ')}` : undefined;
    const { value, created } = await recordPaymentInTransaction(tx, who, {
      invoiceId: invoice.id,
      contactId: null,
      amount: part.target,
      currency: invoice.currency,
      method: credit ? 'other' : methodOf(object),
      source: 'quickbooks',
      externalId,
      reference: stringField(object, 'PaymentRefNum') ?? null,
      memo: credit ? `Credit applied in QuickBooks from ${credit}` : null,
      receivedAt: stringField(object, 'TxnDate') ?? null,
      purpose: null,
    });
    if (!created) return undefined;
    // The entry billing just wrote says what was received; say where (same transaction, same entry).
    await tx.query(
      `UPDATE invoice_events SET message = $4 WHERE tenant_id = $1 AND invoice_id = $2 AND kind = 'payment.received'
         AND data->>'payment_id' = $3`,
      [
        ctx.tenantId,
        invoice.id,
        value.id,
        `${credit ? 'Credit applied' : 'Payment received'} in QuickBooks: ${show(part.target, invoice.currency)}`,
      ],
    );
    return `${externalId}: recorded ${part.target}`;
  } catch (error) {
    if (
      !(error instanceof OverpaymentError) &&
      !(error instanceof IllegalTransitionError) &&
      !(error instanceof CurrencyMismatchError)
    ) {
      throw error;
    }
    const message =
      `QuickBooks payment ${part.qboPaymentId} (${show(part.target, invoice.currency)}) cannot be applied here: ` +
      `${error.message}; settle it by hand`;
    await appendOnce(
      tx,
      { tenantId: ctx.tenantId, invoiceId: invoice.id, kind: 'quickbooks.payment_conflict', message, data },
      'target',
      ctx.via,
    );
    return `conflict: ${message}`;
  }
}

function show(amount: number, currency: string): string {
  return `${toDecimalString(money(amount, currency))} ${currency}`;
}

/** Our payment the push created for this QuickBooks payment, if it is one. */
async function pushedPayment(
  ctx: PullContext,
  qboPaymentId: string,
  object: QboObject | undefined,
): Promise<string | undefined> {
  const link = await findLinkByExternal(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'payment',
    externalId: qboPaymentId,
  });
  if (link) return link.localId;
  const tagged = object ? taggedLocalId(object, 'pay') : undefined;
  if (!tagged) return undefined;
  const [row] = await ctx.db.query<{ id: string }>(
    'SELECT id FROM payments WHERE tenant_id = $1 AND id = $2',
    [ctx.tenantId, tagged],
  );
  return row?.id;
}

/** Decimal amount applied to each invoice, by QuickBooks invoice Id (lines may repeat an invoice). */
function appliedAmounts(object: QboObject): Map<string, string> {
  const totals = new Map<string, Dec>();
  for (const line of linesOf(object)) {
    for (const txn of linkedTxns(line)) {
      if (txn.type !== 'Invoice') continue;
      const amount = new Dec(String(line.Amount ?? 0));
      totals.set(txn.id, (totals.get(txn.id) ?? new Dec(0)).plus(amount));
    }
  }
  return new Map([...totals].map(([id, total]) => [id, total.toFixed()]));
}

function creditMemoIds(object: QboObject): string[] {
  return linesOf(object).flatMap((line) =>
    linkedTxns(line)
      .filter((txn) => txn.type === 'CreditMemo')
      .map((txn) => txn.id),
  );
}

/** Our payments recorded from this QuickBooks payment, by the QuickBooks invoice each pays. */
async function recordedParts(
  tx: Queryable,
  tenantId: string,
  qboPaymentId: string,
): Promise<Map<string, Payment>> {
  const rows = await tx.query(
    `SELECT * FROM payments WHERE tenant_id = $1 AND source = 'quickbooks' AND split_part(external_id, ':', 1) = $2
     ORDER BY id`,
    [tenantId, qboPaymentId],
  );
  const parts = new Map<string, Payment>();
  for (const row of rows) {
    const payment = paymentFromRow(row);
    const qboInvoiceId = payment.externalId?.split(':')[1];
    if (qboInvoiceId !== undefined) parts.set(qboInvoiceId, payment);
  }
  return parts;
}

const METHODS: readonly [RegExp, PaymentMethod][] = [
  [/cash/i, 'cash'],
  [/check|cheque/i, 'check'],
  [/visa|master|amex|american express|discover|card/i, 'card'],
  [/ach|bank|transfer|wire|eft/i, 'bank_transfer'],
];

function methodOf(object: QboObject): PaymentMethod {
  const name = (object.PaymentMethodRef as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string') return 'other';
  return METHODS.find(([pattern]) => pattern.test(name))?.[1] ?? 'other';
}

async function linkedInvoiceId(
  tx: Queryable,
  ctx: PullContext,
  qboInvoiceId: string,
): Promise<string | undefined> {
  const link = await findLinkByExternal(tx, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'invoice',
    externalId: qboInvoiceId,
  });
  return link?.localId;
}
