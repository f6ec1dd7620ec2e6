import { money, toDecimalString } from '../../../domain/index.js';
import { PermanentJobError } from '../../../jobs/errors.js';
import { findLinkByLocal, upsertLink } from '../../../store/repositories/external-links.js';
import { getPayment, type Refund, refundFromRow } from '../../../store/repositories/payments.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import type { QboObject } from '../types.js';
import { fromQboAmount, toQboAmount } from './amounts.js';
import { noteTag, type QboSyncContext, qbo, quote, requestIdFor } from './context.js';
import { ensureCustomer } from './customers.js';
import { currencyFacts, genericItemId, undepositedFundsAccountId } from './facts.js';
import { QBO_ACTOR } from './invoice-push.js';
import { createOnce } from './writes.js';

/**
 * Refunds recorded in ledgerbridge (not from QuickBooks) → a QuickBooks RefundReceipt for the
 * payment's customer, once the payment itself is in QuickBooks (its job runs first: same ordering
 * key). The money comes out of where it sits: a Stripe refund nets out of the next payout, so it is
 * drawn from Undeposited Funds (and the payout's Deposit carries it as a negative line); a manual
 * refund is paid from the bank (settings.deposit_account_id, else the first Bank account).
 */
export const REFUND_ITEM = { key: 'refund', name: 'Refunds (ledgerbridge)' } as const;

export interface RefundSyncResult {
  readonly quickbooks_refund_receipt_id: string | null;
  readonly action: 'created' | 'found' | 'unchanged' | 'skipped';
  readonly note?: string;
}

async function getRefund(ctx: QboSyncContext, refundId: string): Promise<Refund | undefined> {
  const [row] = await ctx.db.query('SELECT * FROM refunds WHERE tenant_id = $1 AND id = $2', [
    ctx.tenantId,
    refundId,
  ]);
  return row ? refundFromRow(row) : undefined;
}

async function refundFromAccount(ctx: QboSyncContext, refund: Refund): Promise<string> {
  if (refund.source === 'stripe') return undepositedFundsAccountId(ctx);
  if (ctx.settings.deposit_account_id !== null) return ctx.settings.deposit_account_id;
  const banks = await qbo('look up the QuickBooks bank accounts', () =>
    ctx.client.query("SELECT * FROM Account WHERE AccountType = 'Bank' AND Active = true"),
  );
  const first = banks.sort((a, b) => Number(a.Id) - Number(b.Id))[0]?.Id;
  if (first === undefined)
    throw new PermanentJobError('QuickBooks has no bank account to pay the refund from');
  return first;
}

export async function pushRefund(ctx: QboSyncContext, refundId: string): Promise<RefundSyncResult> {
  const refund = await getRefund(ctx, refundId);
  if (!refund) throw new PermanentJobError(`refund ${refundId} does not exist`);
  if (refund.source === 'quickbooks') {
    return { quickbooks_refund_receipt_id: null, action: 'skipped', note: 'it came from QuickBooks' };
  }
  const ref = { tenantId: ctx.tenantId, provider: 'quickbooks' as const };
  const link = await findLinkByLocal(ctx.db, { ...ref, localType: 'refund', localId: refund.id });
  if (link) return { quickbooks_refund_receipt_id: link.externalId, action: 'unchanged' };
  const payment = await getPayment(ctx.db, ctx.tenantId, refund.paymentId);
  if (!payment) throw new PermanentJobError(`payment ${refund.paymentId} does not exist`);
  const paymentLink = await findLinkByLocal(ctx.db, { ...ref, localType: 'payment', localId: payment.id });
  if (!paymentLink) {
    return {
      quickbooks_refund_receipt_id: null,
      action: 'skipped',
      note: 'its payment is not in QuickBooks',
    };
  }

  const { home } = await currencyFacts(ctx);
  const customerId = await ensureCustomer(ctx, payment.contactId);
  const itemId = await genericItemId(ctx, REFUND_ITEM.key, REFUND_ITEM.name);
  const amount = toQboAmount(refund.amount, refund.currency);
  const shown = `${toDecimalString(money(refund.amount, refund.currency))} ${refund.currency}`;
  const body: QboObject = {
    CustomerRef: { value: customerId },
    TxnDate: refund.createdAt.toISOString().slice(0, 10),
    ...(refund.currency === home ? {} : { CurrencyRef: { value: refund.currency } }),
    DepositToAccountRef: { value: await refundFromAccount(ctx, refund) },
    PrivateNote: [
      noteTag(refund.id),
      `refund of ${String(paymentLink.data.entity ?? 'Payment')} ${paymentLink.externalId}`,
      refund.reason,
    ]
      .filter((part) => part !== null && part !== '')
      .join(' — ')
      .slice(0, 4000),
    ...(refund.externalId === null ? {} : { PaymentRefNum: refund.externalId.slice(0, 21) }),
    Line: [
      {
        Amount: amount,
        Description:
          `Refund of payment ${payment.reference ?? payment.id}${refund.reason ? `: ${refund.reason}` : ''}`.slice(
            0,
            4000,
          ),
        DetailType: 'SalesItemLineDetail',
        SalesItemLineDetail: {
          ItemRef: { value: itemId },
          Qty: 1,
          UnitPrice: amount,
          TaxCodeRef: { value: 'NON' },
        },
      },
    ],
  };
  const { object, found } = await createOnce(
    ctx,
    `record refund ${refund.id} in QuickBooks`,
    'RefundReceipt',
    body,
    requestIdFor(ctx, 'refund', refund.id),
    async () => {
      const rows = await qbo('look up refund receipts in QuickBooks', () =>
        ctx.client.query(`SELECT * FROM RefundReceipt WHERE CustomerRef = ${quote(customerId)}`),
      );
      return rows.find((row) => String(row.PrivateNote ?? '').includes(noteTag(refund.id)));
    },
  );
  if (object.Id === undefined)
    throw new PermanentJobError('QuickBooks returned a RefundReceipt without an Id');
  if (fromQboAmount(object.TotalAmt, refund.currency) !== refund.amount) {
    throw new PermanentJobError(
      `QuickBooks RefundReceipt ${object.Id} is for ${String(object.TotalAmt)}, not ${shown}`,
    );
  }
  const id = object.Id;
  await ctx.db.transaction(async (tx) => {
    await upsertLink(tx, {
      ...ref,
      localType: 'refund',
      localId: refund.id,
      externalId: id,
      externalAccount: ctx.realmId,
      data: { entity: 'RefundReceipt', sync_token: object.SyncToken },
    });
    if (payment.invoiceId !== null) {
      await appendInvoiceEvent(tx, {
        tenantId: ctx.tenantId,
        invoiceId: payment.invoiceId,
        actor: QBO_ACTOR,
        system: 'quickbooks',
        kind: 'quickbooks.refund_synced',
        message: `Invoice was synced with QuickBooks: refund of ${shown} recorded`,
        data: { refund_id: refund.id, quickbooks_refund_receipt_id: id, realm_id: ctx.realmId },
      });
    }
  });
  return { quickbooks_refund_receipt_id: id, action: found ? 'found' : 'created' };
}
