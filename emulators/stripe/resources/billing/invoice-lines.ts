import { z } from 'zod';
import { invalidRequest } from '../../kernel/errors.js';
import { stripeId } from '../../kernel/ids.js';
import { expand, mergeMetadata, metadata, parseParams, str } from '../../kernel/params.js';
import type { RequestContext } from '../../kernel/router.js';
import type { ResourceModule } from '../../server.js';
import { type Env, update } from './env.js';
import { withIncludables } from './invoice-payments.js';
import { getInvoice } from './invoices.js';
import { createItem, type ItemObject, lineFields, repriceItem, validateLine } from './items.js';
import {
  addLine,
  type InvoiceObject,
  type LineObject,
  lineForItem,
  linesOf,
  recalculate,
  removeLine,
} from './lines.js';

const MAX_LINES = 250;

function requireDraft(invoice: InvoiceObject, action: string): void {
  if (invoice.status !== 'draft') {
    throw invalidRequest(
      `You can only ${action} draft invoices. This invoice is ${invoice.status ?? 'not a draft'}.`,
      { code: 'invoice_not_editable' },
    );
  }
}

function lineItemOf(
  ctx: Env,
  invoice: InvoiceObject,
  id: string,
  param: string,
): { line: LineObject; item: ItemObject } {
  const line = linesOf(ctx.account, invoice.id).find((candidate) => candidate.id === id);
  if (!line)
    throw invalidRequest(`No such line item: '${id}' on invoice ${invoice.id}`, {
      code: 'resource_missing',
      param,
      status: 404,
    });
  const itemId = line.parent?.invoice_item_details?.invoice_item;
  const item = itemId ? ctx.account.find<ItemObject>('invoiceitem', itemId) : undefined;
  if (!item)
    throw invalidRequest('Only lines created from invoice items can be changed this way.', { param });
  return { line, item };
}

const addSchema = z
  .object({
    lines: z.array(z.object({ ...lineFields, invoice_item: str(255).optional() }).strict()).min(1),
    invoice_metadata: metadata(),
    expand: expand(),
  })
  .strict();
const removeSchema = z
  .object({
    lines: z.array(z.object({ id: str(255), behavior: z.enum(['delete', 'unassign']) }).strict()).min(1),
    invoice_metadata: metadata(),
    expand: expand(),
  })
  .strict();
const updateLinesSchema = z
  .object({
    lines: z.array(z.object({ ...lineFields, id: str(255) }).strict()).min(1),
    invoice_metadata: metadata(),
    expand: expand(),
  })
  .strict();

function changeLines(
  ctx: RequestContext,
  invoice: InvoiceObject,
  meta: Parameters<typeof mergeMetadata>[1],
  change: () => void,
) {
  update(ctx, invoice, 'invoice.updated', (target) => {
    change();
    target.metadata = mergeMetadata(target.metadata ?? {}, meta);
    recalculate(ctx.account, target);
  });
  return withIncludables(ctx, invoice);
}

/** `add_lines`, `remove_lines` and `update_lines`: a draft's lines in one call each, all or nothing. */
export const invoiceLinesResource: ResourceModule = (router) => {
  router.post('/v1/invoices/:id/add_lines', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    const params = parseParams(addSchema, ctx.params);
    requireDraft(invoice, 'add lines to');
    if (linesOf(ctx.account, invoice.id).length + params.lines.length > MAX_LINES) {
      throw invalidRequest(`An invoice can have at most ${MAX_LINES} line items.`, { param: 'lines' });
    }
    const existing = params.lines.map((line, i) => {
      if (line.invoice_item === undefined) {
        validateLine(ctx, line, invoice.currency, `lines[${i}]`);
        return undefined;
      }
      const item = ctx.account.get<ItemObject>('invoiceitem', line.invoice_item, `lines[${i}][invoice_item]`);
      if (item.invoice !== null || item.customer !== invoice.customer || item.currency !== invoice.currency) {
        throw invalidRequest(
          `The invoice item ${item.id} must be pending and belong to the invoice's customer and currency.`,
          { param: `lines[${i}][invoice_item]` },
        );
      }
      return item;
    });
    return changeLines(ctx, invoice, params.invoice_metadata, () => {
      params.lines.forEach((line, i) => {
        const item = existing[i];
        const { invoice_item: _ignored, ...input } = line;
        if (!item) {
          createItem(
            ctx,
            input,
            { customer: String(invoice.customer), currency: invoice.currency, invoice },
            `lines[${i}]`,
          );
          return;
        }
        update(ctx, item, 'invoiceitem.updated', (target) => {
          repriceItem(ctx, target, input);
          target.invoice = invoice.id;
        });
        addLine(ctx.account, lineForItem(ctx.account, item, invoice, stripeId('il')));
      });
    });
  });

  router.post('/v1/invoices/:id/remove_lines', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    const params = parseParams(removeSchema, ctx.params);
    requireDraft(invoice, 'remove lines from');
    const targets = params.lines.map((line, i) => ({
      ...lineItemOf(ctx, invoice, line.id, `lines[${i}][id]`),
      behavior: line.behavior,
    }));
    return changeLines(ctx, invoice, params.invoice_metadata, () => {
      for (const { line, item, behavior } of targets) {
        removeLine(ctx.account, invoice.id, line.id);
        if (behavior === 'delete') {
          ctx.account.delete(item.id);
          ctx.emit('invoiceitem.deleted', item);
        } else {
          update(ctx, item, 'invoiceitem.updated', (target) => {
            target.invoice = null;
          });
        }
      }
    });
  });

  router.post('/v1/invoices/:id/update_lines', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    const params = parseParams(updateLinesSchema, ctx.params);
    requireDraft(invoice, 'update lines of');
    const targets = params.lines.map((line, i) => lineItemOf(ctx, invoice, line.id, `lines[${i}][id]`));
    return changeLines(ctx, invoice, params.invoice_metadata, () => {
      params.lines.forEach(({ id: _id, ...input }, i) => {
        const target = targets[i];
        if (!target) return;
        update(ctx, target.item, 'invoiceitem.updated', (item) => repriceItem(ctx, item, input));
        ctx.account.insert(lineForItem(ctx.account, target.item, invoice, target.line.id));
      });
    });
  });
};
