import type { AccountState } from '../kernel/state.js';
import type { TaxRateObject } from '../resources/billing/catalog.js';
import type { InvoiceObject, LineObject } from '../resources/billing/lines.js';
import { linesOf } from '../resources/billing/lines.js';
import { formatAmount } from '../resources/billing/money.js';

/** What the hosted page and the PDF show of an invoice, already formatted. */
export interface InvoiceView {
  business: string;
  number: string;
  status: string;
  customer: string;
  due: string | null;
  lines: { description: string; quantity: string; amount: string }[];
  subtotal: string;
  taxes: { label: string; amount: string }[];
  total: string;
  amountPaid: string;
  amountRemaining: string;
  footer: string | null;
  payable: boolean;
}

const date = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

export function viewOf(account: AccountState, invoice: InvoiceObject): InvoiceView {
  const money = (amount: number) => formatAmount(amount, invoice.currency);
  const lines: LineObject[] = linesOf(account, invoice.id);
  return {
    business: account.displayName,
    number: invoice.number ?? invoice.id,
    status: invoice.status ?? 'open',
    customer: [invoice.customer_name, invoice.customer_email].filter(Boolean).join(' · '),
    due: invoice.due_date === null ? null : date(invoice.due_date),
    lines: lines.map((line) => ({
      description: line.description ?? '',
      quantity: line.quantity_decimal ?? String(line.quantity ?? 1),
      amount: money(line.amount),
    })),
    subtotal: money(invoice.subtotal),
    taxes: (invoice.total_taxes ?? []).map((tax) => {
      const rateId = tax.tax_rate_details?.tax_rate;
      const rate = rateId ? account.find<TaxRateObject>('tax_rate', rateId) : undefined;
      const name = rate
        ? `${rate.display_name} (${rate.percentage}%${rate.inclusive ? ', included' : ''})`
        : 'Tax';
      return { label: name, amount: money(tax.amount) };
    }),
    total: money(invoice.total),
    amountPaid: money(invoice.amount_paid),
    amountRemaining: money(invoice.amount_remaining),
    footer: invoice.footer,
    payable:
      (invoice.status === 'open' || invoice.status === 'uncollectible') && invoice.amount_remaining > 0,
  };
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

const STATUS_LABELS: Readonly<Record<string, string>> = {
  open: 'Due',
  paid: 'Paid',
  void: 'Void',
  uncollectible: 'Past due',
  draft: 'Draft',
};

/** The hosted invoice page: the invoice, its totals and, while something is due, a card form. */
export function renderPage(view: InvoiceView, token: string, message: string | null): string {
  const e = escapeHtml;
  const rows = view.lines
    .map(
      (line) =>
        `<tr><td>${e(line.description)}</td><td class="n">${e(line.quantity)}</td><td class="n">${e(line.amount)}</td></tr>`,
    )
    .join('\n');
  const taxes = view.taxes
    .map((tax) => `<tr><td colspan="2">${e(tax.label)}</td><td class="n">${e(tax.amount)}</td></tr>`)
    .join('\n');
  const form = view.payable
    ? `<form method="post" action="/i/${e(token)}/pay">
  <h2>Pay ${e(view.amountRemaining)}</h2>
  ${message ? `<p class="error" role="alert">${e(message)}</p>` : ''}
  <label>Name on card <input name="name" autocomplete="cc-name"></label>
  <label>Card number <input name="number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required></label>
  <label>Expiry <input name="exp" autocomplete="cc-exp" placeholder="MM / YY" required></label>
  <label>CVC <input name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="123" required></label>
  <button type="submit">Pay ${e(view.amountRemaining)}</button>
</form>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Invoice ${e(view.number)} from ${e(view.business)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1f36}
table{width:100%;border-collapse:collapse}td,th{padding:.4rem;border-bottom:1px solid #e3e8ee;text-align:left}
.n{text-align:right}.status{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;background:#e3e8ee}
.status-paid{background:#d7f7c2}.error{color:#c0123c}label{display:block;margin:.5rem 0}input{display:block;width:100%}
</style>
</head>
<body>
<header><p>${e(view.business)}</p><h1>Invoice ${e(view.number)}</h1>
<p class="status status-${e(view.status)}">${e(STATUS_LABELS[view.status] ?? view.status)}</p>
${view.customer ? `<p>Billed to ${e(view.customer)}</p>` : ''}
${view.due ? `<p>Due ${e(view.due)}</p>` : ''}</header>
<table>
<thead><tr><th>Description</th><th class="n">Qty</th><th class="n">Amount</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot>
<tr><td colspan="2">Subtotal</td><td class="n">${e(view.subtotal)}</td></tr>
${taxes}
<tr><th colspan="2">Total</th><th class="n">${e(view.total)}</th></tr>
<tr><td colspan="2">Amount paid</td><td class="n">${e(view.amountPaid)}</td></tr>
<tr><th colspan="2">Amount due</th><th class="n">${e(view.amountRemaining)}</th></tr>
</tfoot>
</table>
${view.footer ? `<p>${e(view.footer)}</p>` : ''}
<p><a href="/i/${e(token)}/pdf">Download invoice (PDF)</a></p>
${form}
</body>
</html>
`;
}
