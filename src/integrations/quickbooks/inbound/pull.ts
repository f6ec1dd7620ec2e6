import { findLinkByExternal } from '../../../store/repositories/external-links.js';
import type { QboObject } from '../types.js';
import { linkedTxns } from './amounts.js';
import {
  type Commit,
  committer,
  ignored,
  isDeletedStub,
  type PullContext,
  type PullOutcome,
  readObject,
} from './context.js';
import { pullCustomer } from './customers.js';
import { pullInvoice } from './invoices.js';
import { pullPayment } from './payments.js';
import { pullRefundReceipt } from './refunds.js';

/**
 * The one entry point both webhooks and CDC sweeps use: apply a QuickBooks object's CURRENT state.
 * `known` is the object as CDC returned it (a `status: 'Deleted'` stub for deleted ones); without it
 * the object is read now. Because only the current state is applied, a duplicate, late or
 * out-of-order notification re-applies what is already here and changes nothing.
 */
export async function pullObject(
  ctx: PullContext,
  entity: string,
  id: string,
  commit: Commit,
  known?: QboObject,
): Promise<PullOutcome> {
  const object = known
    ? isDeletedStub(known)
      ? undefined
      : known
    : await readObject(ctx.session.client, entity, id);
  switch (entity) {
    case 'Invoice': {
      const outcome = await pullInvoice(ctx, id, object, commit);
      if (object) await followPayments(ctx, id, object);
      return outcome;
    }
    case 'Payment':
      return pullPayment(ctx, id, object, commit, {
        ensureInvoice: (qboInvoiceId) => ensureInvoice(ctx, qboInvoiceId),
        reduced: async (qboInvoiceIds) => {
          for (const qboInvoiceId of qboInvoiceIds) {
            const invoice = await readObject(ctx.session.client, 'Invoice', qboInvoiceId);
            await pullInvoice(ctx, qboInvoiceId, invoice, committer(ctx.db));
          }
        },
      });
    case 'Customer':
      return pullCustomer(ctx, id, object, commit);
    case 'RefundReceipt':
      return pullRefundReceipt(ctx, id, object, commit);
    case 'CreditMemo':
      return commit(async () =>
        ignored(
          'a credit memo changes an invoice balance only once applied to it, which QuickBooks records ' +
            'as a Payment linking both; that Payment is pulled',
        ),
      );
    default:
      return commit(async () => ignored(`QuickBooks ${entity} changes are not pulled into ledgerbridge`));
  }
}

/** A payment about an invoice not linked yet: pull the invoice first (an import, when it is new). */
async function ensureInvoice(ctx: PullContext, qboInvoiceId: string): Promise<void> {
  const link = await findLinkByExternal(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'invoice',
    externalId: qboInvoiceId,
  });
  if (link) return;
  const object = await readObject(ctx.session.client, 'Invoice', qboInvoiceId);
  if (object) await pullInvoice(ctx, qboInvoiceId, object, committer(ctx.db));
}

/**
 * Payments QuickBooks lists on one of our invoices (its LinkedTxn) that are not recorded here yet:
 * pulled now, so a payment whose own notification is late or lost still shows in the balance.
 */
async function followPayments(ctx: PullContext, qboInvoiceId: string, invoice: QboObject): Promise<void> {
  const ours = await findLinkByExternal(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'invoice',
    externalId: qboInvoiceId,
  });
  if (!ours) return;
  const paymentIds = linkedTxns(invoice)
    .filter((txn) => txn.type === 'Payment')
    .map((txn) => txn.id);
  for (const paymentId of new Set(paymentIds)) {
    const [known] = await ctx.db.query(
      `SELECT 1 FROM payments WHERE tenant_id = $1 AND source = 'quickbooks' AND external_id = $2
       UNION ALL
       SELECT 1 FROM external_links WHERE tenant_id = $1 AND provider = 'quickbooks' AND local_type = 'payment'
         AND external_id = $3`,
      [ctx.tenantId, `${paymentId}:${qboInvoiceId}`, paymentId],
    );
    if (known) continue;
    await pullObject(ctx, 'Payment', paymentId, committer(ctx.db));
  }
}
