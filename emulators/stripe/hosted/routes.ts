import { z } from 'zod';
import { StripeError } from '../kernel/errors.js';
import type { ResourceModule } from '../server.js';
import { cardFromNumber } from '../resources/billing/cards.js';
import { backgroundEnv, hostedTokens } from '../resources/billing/env.js';
import { collectWithCard } from '../resources/billing/invoice-payments.js';
import type { InvoiceObject } from '../resources/billing/lines.js';
import { renderPdf } from './pdf.js';
import { escapeHtml, renderPage, viewOf } from './view.js';

// Inline styles only, nothing loaded from elsewhere, and the form posts back here alone.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'";

const paySchema = z.object({
  number: z.string().max(30).default(''),
  exp: z.string().max(10).default(''),
  cvc: z.string().max(10).default(''),
  name: z.string().max(200).optional(),
});

/**
 * The page a customer pays an invoice on (`hosted_invoice_url`), its PDF, and the card form's
 * target. The token alone names the account and invoice, so connected accounts' invoices work
 * the same; there is no API key here, as on Stripe's page.
 */
export const hostedInvoicePages: ResourceModule = (_router, { app, state }) => {
  const lookup = (token: string) => {
    const found = hostedTokens(state).get(token);
    const account = found ? state.account(found.accountId) : undefined;
    const invoice = account?.find<InvoiceObject>('invoice', found?.invoiceId ?? '');
    return account && invoice ? { account, invoice } : undefined;
  };
  const notFound = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Invoice not found</title></head><body><h1>This invoice link is invalid.</h1></body></html>`;

  app.get<{ Params: { token: string } }>('/i/:token', async (request, reply) => {
    const found = lookup(request.params.token);
    void reply.header('content-security-policy', CSP).type('text/html; charset=utf-8');
    if (!found) return reply.status(404).send(notFound);
    return renderPage(viewOf(found.account, found.invoice), request.params.token, null);
  });

  app.get<{ Params: { token: string } }>('/i/:token/pdf', async (request, reply) => {
    const found = lookup(request.params.token);
    if (!found) return reply.status(404).type('text/html; charset=utf-8').send(notFound);
    const view = viewOf(found.account, found.invoice);
    return reply
      .type('application/pdf')
      .header('content-disposition', `inline; filename="Invoice-${view.number.replace(/[^\w-]/g, '_')}.pdf"`)
      .send(renderPdf(view));
  });

  app.post<{ Params: { token: string } }>('/i/:token/pay', async (request, reply) => {
    const token = request.params.token;
    const found = lookup(token);
    void reply.header('content-security-policy', CSP).type('text/html; charset=utf-8');
    if (!found) return reply.status(404).send(notFound);
    const { account, invoice } = found;
    const page = (status: number, message: string) =>
      reply.status(status).send(renderPage(viewOf(account, invoice), token, message));
    if (!viewOf(account, invoice).payable)
      return page(409, `This invoice is ${escapeHtml(invoice.status ?? '')} and can't be paid.`);
    const form = paySchema.safeParse(request.body ?? {});
    if (!form.success) return page(400, 'Check your card details and try again.');
    const exp = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(form.data.exp);
    if (!exp) return page(402, "Your card's expiration date is incomplete.");
    const month = Number(exp[1]);
    const year = Number(exp[2]?.length === 2 ? `20${exp[2]}` : exp[2]);
    const now = new Date(state.clock.nowMs());
    if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1)) {
      return page(402, "Your card's expiration date is in the past.");
    }
    if (!/^\d{3,4}$/.test(form.data.cvc.trim())) return page(402, "Your card's security code is incomplete.");
    try {
      const card = cardFromNumber(form.data.number, month, year);
      const env = backgroundEnv(state, account);
      const attempt = collectWithCard(env, invoice, card, {
        name: form.data.name?.trim() || null,
        email: invoice.customer_email,
      });
      if (attempt.error) return page(402, attempt.error.message);
    } catch (error) {
      if (error instanceof StripeError) return page(error.status, error.message);
      throw error;
    }
    // Post/redirect/get: reloading the receipt never pays twice.
    return reply.redirect(`/i/${encodeURIComponent(token)}`, 303);
  });
};
