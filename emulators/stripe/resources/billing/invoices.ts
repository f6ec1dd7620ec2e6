import { z } from 'zod';
import { invalidRequest } from '../../kernel/errors.js';
import { stripeId } from '../../kernel/ids.js';
import { matchesCreated, newestFirst, paginate } from '../../kernel/list.js';
import {
  bool,
  emptyable,
  expand,
  int,
  listParams,
  metadata,
  mergeMetadata,
  parseParams,
  str,
} from '../../kernel/params.js';
import type { RequestContext } from '../../kernel/router.js';
import type { ResourceModule } from '../../server.js';
import { getCustomer, getTaxRates } from './catalog.js';
import { book, type Env, update } from './env.js';
import { addLine, type InvoiceObject, lineForItem, linesOf, recalculate } from './lines.js';
import { AUTO_FINALIZE_DELAY, newInvoice } from './invoice-object.js';
import { currencyParam, type ItemObject } from './items.js';
import { withIncludables } from './invoice-payments.js';

const DAY = 86_400;
const editable = {
  auto_advance: bool().optional(),
  collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
  days_until_due: int(0, 10_000).optional(),
  default_tax_rates: emptyable(z.array(str(255)).max(10)).optional(),
  description: str(1500).optional(),
  discounts: z.literal('').optional(),
  due_date: int().optional(),
  effective_at: int().optional(),
  footer: str(5000).optional(),
  metadata: metadata(),
  number: str(26).optional(),
  statement_descriptor: str(22).optional(),
  expand: expand(),
};
const createSchema = z
  .object({
    ...editable,
    customer: str(255),
    currency: currencyParam().optional(),
    pending_invoice_items_behavior: z.enum(['exclude', 'include']).optional(),
  })
  .strict();
const updateSchema = z.object(editable).strict();
/** What may still change once an invoice is finalized. */
const FINALIZED_EDITABLE = new Set(['auto_advance', 'description', 'footer', 'metadata', 'expand']);

/** Rebuilds every invoice-item line of a draft (after its default tax rates change). */
export function refreshItemLines(env: Env, invoice: InvoiceObject): void {
  for (const line of linesOf(env.account, invoice.id)) {
    const itemId = line.parent?.invoice_item_details?.invoice_item;
    const item = itemId ? env.account.find<ItemObject>('invoiceitem', itemId) : undefined;
    if (item) env.account.insert(lineForItem(env.account, item, invoice, line.id));
  }
  recalculate(env.account, invoice);
}

type Editable = z.output<typeof updateSchema>;

function applyEdits(ctx: RequestContext, invoice: InvoiceObject, params: Editable): void {
  const days = book(ctx.account).daysUntilDue;
  const method = params.collection_method ?? invoice.collection_method;
  const daysUntilDue = params.days_until_due ?? days.get(invoice.id);
  if (params.due_date !== undefined && params.due_date < ctx.now) {
    throw invalidRequest('Invoice `due_date` must be in the future.', { param: 'due_date' });
  }
  if (
    method === 'charge_automatically' &&
    (params.days_until_due !== undefined || params.due_date !== undefined)
  ) {
    const param = params.days_until_due !== undefined ? 'days_until_due' : 'due_date';
    throw invalidRequest(`You can only set \`${param}\` when \`collection_method\` is \`send_invoice\`.`, {
      param,
    });
  }
  if (
    method === 'send_invoice' &&
    daysUntilDue === undefined &&
    (params.due_date ?? invoice.due_date) === null
  ) {
    throw invalidRequest(
      'Invoices with `collection_method=send_invoice` require either `days_until_due` or `due_date` to be set.',
      { param: 'days_until_due' },
    );
  }
  if (params.collection_method) invoice.collection_method = params.collection_method;
  if (method === 'charge_automatically') {
    days.delete(invoice.id);
    invoice.due_date = null;
  } else if (params.due_date !== undefined) {
    days.delete(invoice.id);
    invoice.due_date = params.due_date;
  } else if (daysUntilDue !== undefined) {
    days.set(invoice.id, daysUntilDue);
    invoice.due_date = invoice.created + daysUntilDue * DAY;
  }
  if (params.auto_advance !== undefined) {
    invoice.auto_advance = params.auto_advance;
    invoice.automatically_finalizes_at =
      params.auto_advance && invoice.status === 'draft' ? invoice.created + AUTO_FINALIZE_DELAY : null;
  }
  if (params.description !== undefined) invoice.description = params.description || null;
  if (params.footer !== undefined) invoice.footer = params.footer || null;
  if (params.metadata !== undefined)
    invoice.metadata = mergeMetadata(invoice.metadata ?? {}, params.metadata);
  if (params.number !== undefined) invoice.number = params.number || null;
  if (params.statement_descriptor !== undefined)
    invoice.statement_descriptor = params.statement_descriptor || null;
  if (params.effective_at !== undefined) invoice.effective_at = params.effective_at;
  if (params.default_tax_rates !== undefined) {
    invoice.default_tax_rates = params.default_tax_rates
      ? getTaxRates(ctx.account, params.default_tax_rates, 'default_tax_rates')
      : [];
    refreshItemLines(ctx, invoice);
  }
}

export function getInvoice(ctx: Env, id: string, param = 'id'): InvoiceObject {
  return ctx.account.get<InvoiceObject>('invoice', id, param);
}

export const invoiceResource: ResourceModule = (router) => {
  router.post('/v1/invoices', (ctx) => {
    const params = parseParams(createSchema, ctx.params);
    const customer = getCustomer(ctx.account, params.customer);
    const method = params.collection_method ?? 'charge_automatically';
    const invoice = newInvoice(ctx, {
      customer,
      currency: params.currency ?? customer.currency ?? 'usd',
      collection_method: method,
      billing_reason: 'manual',
      auto_advance: params.auto_advance ?? false,
    });
    try {
      applyEdits(ctx, invoice, { ...params, collection_method: method });
    } catch (error) {
      ctx.account.delete(invoice.id);
      throw error;
    }
    if (params.pending_invoice_items_behavior === 'include') {
      for (const item of ctx.account.all<ItemObject>('invoiceitem')) {
        if (item.invoice !== null || item.customer !== customer.id || item.currency !== invoice.currency)
          continue;
        item.invoice = invoice.id;
        addLine(ctx.account, lineForItem(ctx.account, item, invoice, stripeId('il')));
      }
    }
    recalculate(ctx.account, invoice);
    ctx.emit('invoice.created', invoice);
    return withIncludables(ctx, invoice);
  });

  router.get('/v1/invoices/:id', (ctx) => withIncludables(ctx, getInvoice(ctx, String(ctx.pathParams.id))));

  router.post('/v1/invoices/:id', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    const params = parseParams(updateSchema, ctx.params);
    if (invoice.status !== 'draft') {
      const locked = Object.keys(params).find((key) => !FINALIZED_EDITABLE.has(key));
      if (locked) {
        throw invalidRequest(
          `Finalized invoices can't be updated in this way: \`${locked}\` can only be changed while the invoice is a draft.`,
          { param: locked, code: 'invoice_not_editable' },
        );
      }
    }
    update(ctx, invoice, 'invoice.updated', (target) => applyEdits(ctx, target, params));
    return withIncludables(ctx, invoice);
  });

  router.delete('/v1/invoices/:id', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    if (invoice.parent?.subscription_details) {
      throw invalidRequest("You can't delete invoices created by subscriptions.", {
        code: 'invoice_not_editable',
      });
    }
    if (invoice.status !== 'draft') {
      throw invalidRequest(
        `You can only delete draft invoices. This invoice is ${invoice.status}; void it instead.`,
        { code: 'invoice_not_editable' },
      );
    }
    // The draft's invoice items go with it.
    for (const line of linesOf(ctx.account, invoice.id)) {
      const itemId = line.parent?.invoice_item_details?.invoice_item;
      const item = itemId ? ctx.account.find<ItemObject>('invoiceitem', itemId) : undefined;
      if (item) {
        ctx.account.delete(item.id);
        ctx.emit('invoiceitem.deleted', item);
      }
      ctx.account.delete(line.id);
    }
    book(ctx.account).lineIds.delete(invoice.id);
    ctx.account.delete(invoice.id);
    ctx.emit('invoice.deleted', invoice);
    return { id: invoice.id, object: 'invoice', deleted: true };
  });

  const listSchema = z
    .object({
      ...listParams,
      customer: str(255).optional(),
      status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']).optional(),
      subscription: str(255).optional(),
      collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
      due_date: listParams.created,
    })
    .strict();
  router.get('/v1/invoices', (ctx) => {
    const params = parseParams(listSchema, ctx.params);
    const invoices = ctx.account
      .all<InvoiceObject>('invoice')
      .filter(
        (invoice) =>
          (params.customer === undefined || invoice.customer === params.customer) &&
          (params.status === undefined || invoice.status === params.status) &&
          (params.collection_method === undefined ||
            invoice.collection_method === params.collection_method) &&
          (params.subscription === undefined ||
            invoice.parent?.subscription_details?.subscription === params.subscription) &&
          matchesCreated(invoice.created, params.created) &&
          (params.due_date === undefined ||
            (invoice.due_date !== null && matchesCreated(invoice.due_date, params.due_date))),
      );
    return paginate(newestFirst(invoices), params, '/v1/invoices');
  });

  // Lines page like any list but have no `created` filter.
  const { created: _created, ...pageParams } = listParams;
  const linesSchema = z.object(pageParams).strict();
  router.get('/v1/invoices/:id/lines', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    const params = parseParams(linesSchema, ctx.params);
    return paginate(linesOf(ctx.account, invoice.id), params, `/v1/invoices/${invoice.id}/lines`);
  });
};
