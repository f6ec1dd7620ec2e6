import type Stripe from 'stripe';
import { money, toDecimalString } from '../../../domain/index.js';
import { PermanentJobError } from '../../../jobs/errors.js';
import type { Queryable } from '../../../store/db.js';
import { findLinkByLocal, upsertLink } from '../../../store/repositories/external-links.js';
import { getInvoice, type InvoiceWithLines, withLines } from '../../../store/repositories/invoices.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import { ensureProduct } from './catalog.js';
import { call, keyFor, ourMetadata, type SyncContext } from './context.js';
import { ensureCustomer } from './customers.js';
import { type StripeLineParams, type StripeLineTargets, stripeLine } from './invoice-lines.js';
import { deleteStripeLink, setInvoiceSyncState } from './store.js';
import { ensureTaxRate } from './tax-rates.js';

/**
 * One sent ledgerbridge invoice → one Stripe invoice: draft (`invoices.create`), every line in one
 * `add_lines` (250 a call, Stripe's limit), a check that Stripe's total is ours to the unit, then
 * `finalize` (and `send` when the tenant lets Stripe email its customers). Once the customer, products
 * and tax rates are linked that is 3 calls, 4 with sending, whatever the line count.
 *
 * Exactly once: each POST's idempotency key comes from our ids, so a retry replays instead of
 * repeating; the link invoice ↔ Stripe invoice is stored right after creation and its `stage`
 * advances with each step; a retried job (attempt > 1) first looks at what Stripe already holds (the
 * linked invoice, or one of the customer's invoices carrying our id in its metadata) and only does
 * what is missing.
 */
export const ADD_LINES_LIMIT = 250;
const ACTOR = 'stripe:sync';

type Stage = 'created' | 'finalized' | 'sent';

interface InvoiceLinkData {
  readonly stage: Stage;
  readonly hosted_invoice_url?: string | null;
  readonly number?: string | null;
}

export interface PushResult {
  readonly stripe_invoice_id: string;
  readonly stage: Stage;
  readonly hosted_invoice_url: string | null;
  readonly skipped?: string;
}

/** The mismatch error, in the words the invoice timeline and the API show. */
export function totalMismatch(
  what: 'total' | 'amount due',
  stripeAmount: number,
  ours: number,
  currency: string,
  number: number,
): string {
  const show = (amount: number) => `${toDecimalString(money(amount, currency))} ${currency}`;
  return `Stripe ${what} ${show(stripeAmount)} differs from ledgerbridge total ${show(ours)} on invoice #${number}`;
}

export async function pushInvoice(
  ctx: SyncContext,
  invoiceId: string,
  sendByEmail: boolean,
): Promise<PushResult> {
  const found = await getInvoice(ctx.db, ctx.tenantId, invoiceId);
  if (!found) throw new PermanentJobError(`invoice ${invoiceId} does not exist`);
  const invoice = await withLines(ctx.db, found);
  if (invoice.status === 'draft')
    throw new PermanentJobError(`invoice #${invoice.number} is a draft; only sent invoices go to Stripe`);

  const link = await findLinkByLocal(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'stripe',
    localType: 'invoice',
    localId: invoice.id,
  });
  if (link && link.externalAccount !== ctx.account) {
    throw new PermanentJobError(
      `invoice #${invoice.number} is already in Stripe account ${link.externalAccount}`,
    );
  }
  const linked = link?.data as Partial<InvoiceLinkData> | undefined;
  if (link && (linked?.stage === 'sent' || (linked?.stage === 'finalized' && !sendByEmail))) {
    return {
      stripe_invoice_id: link.externalId,
      stage: linked.stage,
      hosted_invoice_url: linked.hosted_invoice_url ?? null,
      skipped: 'already in Stripe',
    };
  }
  if (!link && (invoice.status === 'void' || invoice.status === 'archived')) {
    return {
      stripe_invoice_id: '',
      stage: 'created',
      hosted_invoice_url: null,
      skipped: `invoice is ${invoice.status}`,
    };
  }

  const { stripe } = ctx.access;
  const customerId = await ensureCustomer(ctx, invoice.contactId);
  // Products and tax rates before the invoice: each is recorded as soon as it exists, so a retry
  // after a failure further on never has to look for them again.
  const targets = await lineTargets(ctx, invoice);
  let stripeInvoice: Stripe.Invoice | undefined;
  if (link) {
    stripeInvoice = await call(ctx, `read Stripe invoice ${link.externalId}`, undefined, (o) =>
      stripe.invoices.retrieve(link.externalId, {}, o),
    );
  } else {
    if (ctx.retrying) stripeInvoice = await findOurs(ctx, customerId, invoice.id);
    stripeInvoice ??= await call(
      ctx,
      `create invoice #${invoice.number} in Stripe`,
      keyFor(ctx, invoice.id, 'create'),
      (o) =>
        stripe.invoices.create(
          {
            customer: customerId,
            currency: invoice.currency.toLowerCase(),
            collection_method: 'send_invoice',
            days_until_due: daysUntilDue(invoice),
            auto_advance: false,
            pending_invoice_items_behavior: 'exclude',
            description: `Invoice #${invoice.number}`,
            metadata: ourMetadata(ctx, {
              ledgerbridge_invoice_id: invoice.id,
              ledgerbridge_invoice_number: String(invoice.number),
            }),
          },
          o,
        ),
    );
    const created = stripeInvoice;
    await ctx.db.transaction(async (tx) => {
      await saveLink(ctx, tx, invoice.id, created.id, { stage: 'created' });
      await appendInvoiceEvent(tx, {
        ...event(ctx, invoice.id),
        kind: 'stripe.invoice_created',
        message: 'Invoice was created in Stripe',
        data: { stripe_invoice_id: created.id },
      });
    });
  }

  if (stripeInvoice.status === 'draft') {
    stripeInvoice = await addMissingLines(ctx, invoice, stripeInvoice, targets, link !== undefined);
    await checkTotals(ctx, invoice, stripeInvoice);
    const draft = stripeInvoice;
    stripeInvoice = await call(
      ctx,
      `finalize invoice #${invoice.number} in Stripe`,
      keyFor(ctx, invoice.id, 'finalize'),
      (o) => stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false }, o),
    );
  } else if (stripeInvoice.status === 'void' || stripeInvoice.status === 'uncollectible') {
    throw new PermanentJobError(
      `Stripe invoice ${stripeInvoice.id} is ${stripeInvoice.status}; it cannot be sent`,
    );
  } else {
    // Finalized by an attempt that died before recording it: it must still be ours to the unit.
    await checkTotals(ctx, invoice, stripeInvoice, false);
  }

  const finalized = stripeInvoice;
  const url = finalized.hosted_invoice_url ?? null;
  if (linked?.stage !== 'finalized') {
    await ctx.db.transaction(async (tx) => {
      await saveLink(ctx, tx, invoice.id, finalized.id, {
        stage: 'finalized',
        hosted_invoice_url: url,
        number: finalized.number,
      });
      if (url !== null) {
        await setInvoiceSyncState(tx, ctx.tenantId, invoice.id, {
          status: 'synced',
          error: null,
          paymentLinkUrl: url,
        });
      } else {
        await setInvoiceSyncState(tx, ctx.tenantId, invoice.id, { status: 'synced', error: null });
      }
      await appendInvoiceEvent(tx, {
        ...event(ctx, invoice.id),
        kind: 'stripe.payment_link_created',
        message: 'Payment link was created',
        data: { stripe_invoice_id: finalized.id, stripe_number: finalized.number, url },
      });
    });
  }
  if (!sendByEmail) return { stripe_invoice_id: finalized.id, stage: 'finalized', hosted_invoice_url: url };

  await call(ctx, `email invoice #${invoice.number} from Stripe`, keyFor(ctx, invoice.id, 'send'), (o) =>
    stripe.invoices.sendInvoice(finalized.id, {}, o),
  );
  await ctx.db.transaction(async (tx) => {
    await saveLink(ctx, tx, invoice.id, finalized.id, {
      stage: 'sent',
      hosted_invoice_url: url,
      number: finalized.number,
    });
    await appendInvoiceEvent(tx, {
      ...event(ctx, invoice.id),
      kind: 'stripe.payment_link_sent',
      message: 'Payment link was sent',
      data: { stripe_invoice_id: finalized.id, url },
    });
  });
  return { stripe_invoice_id: finalized.id, stage: 'sent', hosted_invoice_url: url };
}

function event(ctx: SyncContext, invoiceId: string) {
  return { tenantId: ctx.tenantId, invoiceId, actor: ACTOR, system: 'stripe' as const };
}

async function saveLink(
  ctx: SyncContext,
  tx: Queryable,
  invoiceId: string,
  stripeId: string,
  data: InvoiceLinkData,
) {
  await upsertLink(tx, {
    tenantId: ctx.tenantId,
    provider: 'stripe',
    localType: 'invoice',
    localId: invoiceId,
    externalId: stripeId,
    externalAccount: ctx.account,
    data: { ...data },
  });
}

/** Days from sending to the due date: fixed at sending, so a retry next week sends the same parameters. */
function daysUntilDue(invoice: InvoiceWithLines): number {
  if (invoice.dueDate === null) return 0;
  const sent = (invoice.sentAt ?? invoice.updatedAt).toISOString().slice(0, 10);
  const days = Math.round(
    (Date.parse(`${invoice.dueDate}T00:00:00Z`) - Date.parse(`${sent}T00:00:00Z`)) / 86_400_000,
  );
  return Math.max(0, days);
}

/** A Stripe invoice of the customer created for our invoice by an attempt that died before linking it. */
async function findOurs(
  ctx: SyncContext,
  customerId: string,
  invoiceId: string,
): Promise<Stripe.Invoice | undefined> {
  const invoices = await call(ctx, 'look up the customer’s Stripe invoices', undefined, (o) =>
    ctx.access.stripe.invoices
      .list({ customer: customerId, limit: 100 }, o)
      .autoPagingToArray({ limit: 10_000 }),
  );
  return invoices.find((candidate) => candidate.metadata?.ledgerbridge_invoice_id === invoiceId);
}

async function addMissingLines(
  ctx: SyncContext,
  invoice: InvoiceWithLines,
  draft: Stripe.Invoice,
  allTargets: ReadonlyMap<string, StripeLineTargets>,
  mayHaveLines: boolean,
): Promise<Stripe.Invoice> {
  const { stripe } = ctx.access;
  let present = new Set<string>();
  if ((mayHaveLines || ctx.retrying) && draft.lines.has_more === false) {
    present = new Set(draft.lines.data.flatMap((line) => line.metadata?.ledgerbridge_line_id ?? []));
  } else if (mayHaveLines || ctx.retrying) {
    const existing = await call(ctx, `read the lines of Stripe invoice ${draft.id}`, undefined, (o) =>
      stripe.invoices.listLineItems(draft.id, { limit: 100 }, o).autoPagingToArray({ limit: 10_000 }),
    );
    present = new Set(existing.flatMap((line) => line.metadata?.ledgerbridge_line_id ?? []));
  }
  const missing = invoice.lines.filter((line) => !present.has(line.id));
  if (missing.length === 0) return draft;

  const params: StripeLineParams[] = missing.map((line) => {
    const target = allTargets.get(line.id);
    if (!target) throw new Error('a line lost its Stripe targets');
    return stripeLine(line, invoice.currency, target);
  });
  let result = draft;
  for (let start = 0; start < params.length; start += ADD_LINES_LIMIT) {
    const chunk = params.slice(start, start + ADD_LINES_LIMIT);
    const first = missing[start]?.id ?? String(start);
    result = await call(
      ctx,
      `add the lines of invoice #${invoice.number} in Stripe`,
      keyFor(ctx, invoice.id, 'add-lines', first),
      (o) => stripe.invoices.addLines(draft.id, { lines: chunk }, o),
    );
  }
  return result;
}

/** Each line's product and tax rate, ensured one at a time (lines sharing one must not race). */
async function lineTargets(
  ctx: SyncContext,
  invoice: InvoiceWithLines,
): Promise<Map<string, StripeLineTargets>> {
  const products = new Map<string, string>();
  const rates = new Map<string, string>();
  const targets = new Map<string, StripeLineTargets>();
  for (const line of invoice.lines) {
    let productId: string | null = null;
    if (line.serviceId !== null) {
      productId = products.get(line.serviceId) ?? (await ensureProduct(ctx, line.serviceId));
      products.set(line.serviceId, productId);
    }
    let taxRateId: string | null = null;
    if (line.taxRate !== null) {
      const rateKey = `${line.taxRate}:${line.taxInclusive}`;
      taxRateId = rates.get(rateKey) ?? (await ensureTaxRate(ctx, line.taxRate, line.taxInclusive));
      rates.set(rateKey, taxRateId);
    }
    targets.set(line.id, { productId, taxRateId });
  }
  return targets;
}

/**
 * Stripe's total and amount due must be ours to the unit. If not, the draft is deleted (nothing ever
 * reaches the customer) and the job fails for good with the difference spelled out.
 */
async function checkTotals(
  ctx: SyncContext,
  invoice: InvoiceWithLines,
  stripeInvoice: Stripe.Invoice,
  draft = true,
) {
  const mismatch =
    stripeInvoice.total !== invoice.total
      ? totalMismatch('total', stripeInvoice.total, invoice.total, invoice.currency, invoice.number)
      : stripeInvoice.amount_due !== invoice.total
        ? totalMismatch(
            'amount due',
            stripeInvoice.amount_due,
            invoice.total,
            invoice.currency,
            invoice.number,
          )
        : undefined;
  if (mismatch === undefined) return;
  if (draft) {
    await call(ctx, `delete the Stripe draft of invoice #${invoice.number}`, undefined, (o) =>
      ctx.access.stripe.invoices.del(stripeInvoice.id, {}, o),
    );
    await deleteStripeLink(ctx.db, ctx.tenantId, 'invoice', invoice.id);
  }
  throw new PermanentJobError(mismatch);
}
