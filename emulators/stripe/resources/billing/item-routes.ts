import { z } from 'zod';
import { invalidRequest } from '../../kernel/errors.js';
import { matchesCreated, paginate } from '../../kernel/list.js';
import { bool, decimal, expand, listParams, parseParams, str } from '../../kernel/params.js';
import type { RequestContext } from '../../kernel/router.js';
import type { ResourceModule } from '../../server.js';
import { getCustomer } from './catalog.js';
import { update } from './env.js';
import { getInvoice } from './invoices.js';
import { createItem, currencyParam, type ItemObject, lineFields, repriceItem } from './items.js';
import { type InvoiceObject, lineForItem, linesOf, recalculate, removeLine } from './lines.js';

const createSchema = z
  .object({
    ...lineFields,
    customer: str(255),
    currency: currencyParam().optional(),
    invoice: str(255).optional(),
    unit_amount_decimal: decimal().optional(),
    expand: expand(),
  })
  .strict();
const updateSchema = z
  .object({ ...lineFields, unit_amount_decimal: decimal().optional(), expand: expand() })
  .strict();

/** An item on a finalized invoice is frozen with it. */
function editableInvoice(ctx: RequestContext, item: ItemObject): InvoiceObject | null {
  if (item.invoice === null) return null;
  const invoice = getInvoice(ctx, String(item.invoice), 'invoice');
  if (invoice.status !== 'draft') {
    throw invalidRequest(
      `The invoice item ${item.id} is on invoice ${invoice.id}, which is no longer a draft; it can't be changed.`,
      { code: 'invoice_not_editable' },
    );
  }
  return invoice;
}

/** The invoice's totals follow its items; Stripe reports that as invoice.updated. */
function touchInvoice(ctx: RequestContext, invoice: InvoiceObject | null, change: () => void): void {
  if (!invoice) return change();
  update(ctx, invoice, 'invoice.updated', (target) => {
    change();
    recalculate(ctx.account, target);
  });
}

export const invoiceItemResource: ResourceModule = (router) => {
  router.post('/v1/invoiceitems', (ctx) => {
    const {
      customer: customerId,
      currency,
      invoice: invoiceId,
      expand: _expand,
      ...input
    } = parseParams(createSchema, ctx.params);
    const customer = getCustomer(ctx.account, customerId);
    const invoice = invoiceId === undefined ? null : getInvoice(ctx, invoiceId, 'invoice');
    if (invoice) {
      if (invoice.status !== 'draft') {
        throw invalidRequest(
          `You can only add invoice items to draft invoices. Invoice ${invoice.id} is ${invoice.status ?? 'finalized'}.`,
          {
            param: 'invoice',
            code: 'invoice_not_editable',
          },
        );
      }
      if (invoice.customer !== customer.id) {
        throw invalidRequest("The invoice item's customer must be the invoice's customer.", {
          param: 'invoice',
        });
      }
      if (currency !== undefined && currency !== invoice.currency) {
        throw invalidRequest(
          `The currency of the invoice item (${currency}) must match the invoice's currency (${invoice.currency}).`,
          { param: 'currency' },
        );
      }
    }
    const itemCurrency =
      invoice?.currency ?? currency ?? pricedCurrency(ctx, input) ?? customer.currency ?? 'usd';
    let item: ItemObject | undefined;
    touchInvoice(ctx, invoice, () => {
      item = createItem(ctx, input, { customer: customer.id, currency: itemCurrency, invoice });
    });
    return item;
  });

  router.get('/v1/invoiceitems/:id', (ctx) => ctx.account.get('invoiceitem', String(ctx.pathParams.id)));

  router.post('/v1/invoiceitems/:id', (ctx) => {
    const item = ctx.account.get<ItemObject>('invoiceitem', String(ctx.pathParams.id));
    const { expand: _expand, ...input } = parseParams(updateSchema, ctx.params);
    const invoice = editableInvoice(ctx, item);
    touchInvoice(ctx, invoice, () => {
      update(ctx, item, 'invoiceitem.updated', (target) => repriceItem(ctx, target, input));
      if (invoice) {
        const line = linesOf(ctx.account, invoice.id).find(
          (candidate) => candidate.parent?.invoice_item_details?.invoice_item === item.id,
        );
        if (line) ctx.account.insert(lineForItem(ctx.account, item, invoice, line.id));
      }
    });
    return item;
  });

  router.delete('/v1/invoiceitems/:id', (ctx) => {
    const item = ctx.account.get<ItemObject>('invoiceitem', String(ctx.pathParams.id));
    const invoice = editableInvoice(ctx, item);
    touchInvoice(ctx, invoice, () => {
      if (invoice) {
        for (const line of linesOf(ctx.account, invoice.id)) {
          if (line.parent?.invoice_item_details?.invoice_item === item.id)
            removeLine(ctx.account, invoice.id, line.id);
        }
      }
      ctx.account.delete(item.id);
      ctx.emit('invoiceitem.deleted', item);
    });
    return { id: item.id, object: 'invoiceitem', deleted: true };
  });

  const listSchema = z
    .object({
      ...listParams,
      customer: str(255).optional(),
      invoice: str(255).optional(),
      pending: bool().optional(),
    })
    .strict();
  router.get('/v1/invoiceitems', (ctx) => {
    const params = parseParams(listSchema, ctx.params);
    const items = ctx.account
      .all<ItemObject>('invoiceitem')
      .filter(
        (item) =>
          (params.customer === undefined || item.customer === params.customer) &&
          (params.invoice === undefined || item.invoice === params.invoice) &&
          (params.pending === undefined || (item.invoice === null) === params.pending) &&
          matchesCreated(item.date, params.created),
      );
    return paginate(sortByDate(items), params, '/v1/invoiceitems');
  });
};

/** Invoice items have `date` rather than `created`; list them newest first by it. */
function sortByDate(items: readonly ItemObject[]): ItemObject[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => b.item.date - a.item.date || b.index - a.index)
    .map(({ item }) => item);
}

/** A priced item defaults to its price's currency. */
function pricedCurrency(
  ctx: RequestContext,
  input: {
    pricing?: { price?: string | undefined } | undefined;
    price_data?: { currency: string } | undefined;
  },
): string | undefined {
  if (input.price_data) return input.price_data.currency;
  const priceId = input.pricing?.price;
  if (priceId === undefined) return undefined;
  const price = ctx.account.find('price', priceId);
  return typeof price?.currency === 'string' ? price.currency : undefined;
}
