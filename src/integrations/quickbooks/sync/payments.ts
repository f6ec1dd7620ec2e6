import { money, toDecimalString } from '../../../domain/index.js';
import { PermanentJobError } from '../../../jobs/errors.js';
import { findLinkByLocal, upsertLink } from '../../../store/repositories/external-links.js';
import { getPayment, type Payment } from '../../../store/repositories/payments.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import type { QboObject } from '../types.js';
import { fromQboAmount, toQboAmount } from './amounts.js';
import { noteTag, type QboSyncContext, qbo, quote, requestIdFor } from './context.js';
import { ensureCustomer } from './customers.js';
import { currencyFacts, genericItemId } from './facts.js';
import { invoiceLink, QBO_ACTOR } from './invoice-push.js';
import { getQboInvoiceSyncState } from './store.js';
import { createOnce } from './writes.js';

/**
 * Payments recorded in ledgerbridge (Stripe or manual; never those that came from QuickBooks):
 * - against an invoice → a QuickBooks Payment linked to the invoice's replica (partial payments too:
 *   QuickBooks lowers the invoice's Balance and marks it paid at zero), into Undeposited Funds, where a
 *   Deposit later picks it up;
 * - standalone (order forms, subscriptions, bookings…) → a SalesReceipt for the contact's customer
 *   (matched by email, created if missing), one line on a generic item per purpose.
 * `requestid` from our payment id; our `ledgerbridge:pay_…` tag in PrivateNote for lookups.
 */
export interface PaymentSyncResult {
  readonly entity: 'Payment' | 'SalesReceipt' | null;
  readonly quickbooks_id: string | null;
  readonly action: 'created' | 'found' | 'unchanged' | 'skipped';
  readonly note?: string;
}

const PURPOSE_ITEMS: Readonly<Record<string, string>> = {
  order_form: 'Order forms (ledgerbridge)',
  subscription: 'Subscriptions (ledgerbridge)',
  membership: 'Memberships (ledgerbridge)',
  calendar_booking: 'Bookings (ledgerbridge)',
  other: 'Other sales (ledgerbridge)',
};

export function purposeItem(purpose: string): { key: string; name: string } {
  return { key: `purpose:${purpose}`, name: PURPOSE_ITEMS[purpose] ?? PURPOSE_ITEMS.other ?? 'Other sales' };
}

function show(amount: number, currency: string): string {
  return `${toDecimalString(money(amount, currency))} ${currency}`;
}

/** The fields both forms share: customer, date, currency, our tag, the reference. */
async function commonFields(ctx: QboSyncContext, payment: Payment, customerId: string): Promise<QboObject> {
  const { home } = await currencyFacts(ctx);
  const reference = payment.reference ?? payment.externalId;
  return {
    CustomerRef: { value: customerId },
    TxnDate: payment.receivedAt.toISOString().slice(0, 10),
    ...(payment.currency === home ? {} : { CurrencyRef: { value: payment.currency } }),
    PrivateNote: [
      noteTag(payment.id),
      `${payment.source} ${payment.method.replaceAll('_', ' ')}`,
      payment.memo,
    ]
      .filter((part) => part !== null && part !== '')
      .join(' — ')
      .slice(0, 4000),
    ...(reference === null ? {} : { PaymentRefNum: reference.slice(0, 21) }),
  };
}

async function lookupByTag(ctx: QboSyncContext, entity: string, customerId: string, localId: string) {
  const rows = await qbo(`look up ${entity}s of customer ${customerId} in QuickBooks`, () =>
    ctx.client.query(`SELECT * FROM ${entity} WHERE CustomerRef = ${quote(customerId)}`),
  );
  return rows.find((row) => String(row.PrivateNote ?? '').includes(noteTag(localId)));
}

export async function pushPayment(ctx: QboSyncContext, paymentId: string): Promise<PaymentSyncResult> {
  const payment = await getPayment(ctx.db, ctx.tenantId, paymentId);
  if (!payment) throw new PermanentJobError(`payment ${paymentId} does not exist`);
  if (payment.source === 'quickbooks') {
    return { entity: null, quickbooks_id: null, action: 'skipped', note: 'it came from QuickBooks' };
  }
  const link = await findLinkByLocal(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'payment',
    localId: payment.id,
  });
  if (link) {
    const entity = link.data.entity === 'SalesReceipt' ? 'SalesReceipt' : 'Payment';
    return { entity, quickbooks_id: link.externalId, action: 'unchanged' };
  }
  return payment.invoiceId === null
    ? salesReceipt(ctx, payment)
    : invoicePayment(ctx, payment, payment.invoiceId);
}

async function invoicePayment(
  ctx: QboSyncContext,
  payment: Payment,
  invoiceId: string,
): Promise<PaymentSyncResult> {
  const replica = await invoiceLink(ctx, invoiceId);
  if (!replica) {
    const state = await getQboInvoiceSyncState(ctx.db, ctx.tenantId, invoiceId);
    if (!state) {
      return {
        entity: null,
        quickbooks_id: null,
        action: 'skipped',
        note: 'its invoice is not synced with QuickBooks',
      };
    }
    // The invoice's push runs before this job (same ordering key); it failed or was skipped.
    throw new PermanentJobError(
      `the invoice of payment ${payment.id} is not in QuickBooks${state.error ? ` (${state.error})` : ''}; ` +
        'retry this job once the invoice is synced',
    );
  }
  const customerId = await ensureCustomer(ctx, payment.contactId);
  const amount = toQboAmount(payment.amount, payment.currency);
  const body: QboObject = {
    ...(await commonFields(ctx, payment, customerId)),
    TotalAmt: amount,
    Line: [{ Amount: amount, LinkedTxn: [{ TxnId: replica.externalId, TxnType: 'Invoice' }] }],
  };
  const what = `record payment ${payment.id} in QuickBooks`;
  const { object, found } = await createOnce(
    ctx,
    what,
    'Payment',
    body,
    requestIdFor(ctx, 'payment', payment.id),
    () => lookupByTag(ctx, 'Payment', customerId, payment.id),
  );
  return recorded(ctx, payment, 'Payment', object, found, invoiceId);
}

async function salesReceipt(ctx: QboSyncContext, payment: Payment): Promise<PaymentSyncResult> {
  const { home } = await currencyFacts(ctx);
  const customerId = await ensureCustomer(
    ctx,
    payment.contactId,
    payment.currency === home ? undefined : payment.currency,
  );
  const item = purposeItem(payment.purpose);
  const itemId = await genericItemId(ctx, item.key, item.name);
  const amount = toQboAmount(payment.amount, payment.currency);
  const body: QboObject = {
    ...(await commonFields(ctx, payment, customerId)),
    Line: [
      {
        Amount: amount,
        Description:
          `${payment.purpose.replaceAll('_', ' ')} payment${payment.memo ? `: ${payment.memo}` : ''}`.slice(
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
  const what = `record the sale of payment ${payment.id} in QuickBooks`;
  const { object, found } = await createOnce(
    ctx,
    what,
    'SalesReceipt',
    body,
    requestIdFor(ctx, 'sales-receipt', payment.id),
    () => lookupByTag(ctx, 'SalesReceipt', customerId, payment.id),
  );
  return recorded(ctx, payment, 'SalesReceipt', object, found, null);
}

async function recorded(
  ctx: QboSyncContext,
  payment: Payment,
  entity: 'Payment' | 'SalesReceipt',
  object: QboObject,
  found: boolean,
  invoiceId: string | null,
): Promise<PaymentSyncResult> {
  if (object.Id === undefined) throw new PermanentJobError(`QuickBooks returned a ${entity} without an Id`);
  const total = fromQboAmount(object.TotalAmt, payment.currency);
  if (total !== payment.amount) {
    throw new PermanentJobError(
      `QuickBooks ${entity} ${object.Id} is for ${String(object.TotalAmt)} ${payment.currency}, ` +
        `not the ${show(payment.amount, payment.currency)} of payment ${payment.id}`,
    );
  }
  const id = object.Id;
  await ctx.db.transaction(async (tx) => {
    await upsertLink(tx, {
      tenantId: ctx.tenantId,
      provider: 'quickbooks',
      localType: 'payment',
      localId: payment.id,
      externalId: id,
      externalAccount: ctx.realmId,
      data: { entity, sync_token: object.SyncToken },
    });
    if (invoiceId !== null) {
      await appendInvoiceEvent(tx, {
        tenantId: ctx.tenantId,
        invoiceId,
        actor: QBO_ACTOR,
        system: 'quickbooks',
        kind: 'quickbooks.payment_synced',
        message: `Invoice was synced with QuickBooks: payment of ${show(payment.amount, payment.currency)} recorded`,
        data: { payment_id: payment.id, quickbooks_payment_id: id, realm_id: ctx.realmId },
      });
    }
  });
  return { entity, quickbooks_id: id, action: found ? 'found' : 'created' };
}
