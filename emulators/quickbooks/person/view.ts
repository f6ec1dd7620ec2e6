import type { QbObject } from './client.js';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Everything that reaches the page from QuickBooks or the query string goes through here. */
export function escapeHtml(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}
const e = escapeHtml;

/** What the company page shows, read through the REST API just before rendering. */
export interface CompanyView {
  readonly realmId: string;
  readonly companyName: string;
  readonly customers: readonly QbObject[];
  readonly invoices: readonly QbObject[];
  readonly items: readonly QbObject[];
  /** Bank accounts a payment can be deposited to (else Undeposited Funds); empty when QuickBooks would not list accounts. */
  readonly depositAccounts: readonly QbObject[];
  readonly notice?: { readonly text: string; readonly error: boolean };
}

const amount = (value: unknown) => (typeof value === 'number' ? value.toFixed(2) : '');
const refName = (value: unknown) => {
  const ref = (value ?? {}) as { name?: string; value?: string };
  return ref.name ?? ref.value ?? '';
};

/** The word QuickBooks' invoice list shows in its status column. */
export function invoiceStatus(invoice: QbObject): string {
  const total = Number(invoice['TotalAmt'] ?? 0);
  const balance = Number(invoice['Balance'] ?? 0);
  const note = invoice['PrivateNote'];
  if (total === 0 && typeof note === 'string' && note.startsWith('Voided')) return 'Voided';
  if (balance === 0) return 'Paid';
  if (balance < total) return 'Partially paid';
  return 'Open';
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5rem;color:#2d2d2d}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}td,th{padding:.35rem .5rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.n{text-align:right}.notice{padding:.5rem;background:#e6f4ea}.notice.error{background:#fce8e6}
form{display:inline-block;margin:.2rem .5rem .2rem 0}fieldset{border:1px solid #ddd}input,select{margin:.1rem}`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function companiesPage(companies: readonly { realmId: string; companyName: string }[]): string {
  const rows = companies
    .map(
      (company) =>
        `<li><a href="/app/${e(encodeURIComponent(company.realmId))}">${e(company.companyName)}</a> (${e(company.realmId)})</li>`,
    )
    .join('\n');
  return layout(
    'QuickBooks emulator: companies',
    `<h1>Companies</h1>\n${rows ? `<ul>\n${rows}\n</ul>` : '<p>No companies yet.</p>'}`,
  );
}

const options = (objects: readonly QbObject[], label: (object: QbObject) => unknown, blank?: string) =>
  (blank === undefined ? '' : `<option value="">${e(blank)}</option>`) +
  objects.map((object) => `<option value="${e(object.Id)}">${e(label(object))}</option>`).join('');

function invoiceRow(view: CompanyView, invoice: QbObject): string {
  const base = `/app/${e(encodeURIComponent(view.realmId))}/invoices/${e(encodeURIComponent(invoice.Id ?? ''))}`;
  const status = invoiceStatus(invoice);
  const lines = ((invoice['Line'] as QbObject[] | undefined) ?? []).filter(
    (line) => line['DetailType'] === 'SalesItemLineDetail',
  );
  const lineLabel = (line: QbObject) => {
    const detail = (line['SalesItemLineDetail'] ?? {}) as { Qty?: number; UnitPrice?: number };
    return `Line ${line.Id ?? ''}: ${String(line['Description'] ?? '')} ${detail.Qty ?? 1} × ${detail.UnitPrice ?? ''} = ${amount(line['Amount'])}`;
  };
  const deposit = view.depositAccounts.length
    ? `<select name="depositToAccountId">${options(view.depositAccounts, (a) => a['Name'], 'Undeposited Funds (default)')}</select>`
    : `<input name="depositToAccountId" placeholder="deposit to account Id">`;
  const pay =
    Number(invoice['Balance'] ?? 0) > 0
      ? `<form method="post" action="${base}/payments"><input name="amount" inputmode="decimal" placeholder="${e(amount(invoice['Balance']))}" aria-label="Amount"> <input name="date" type="date" aria-label="Payment date"> ${deposit} <button>Receive payment</button></form>`
      : '';
  const edit = `<form method="post" action="${base}/edit"><select name="lineId" aria-label="Line">${options(lines, lineLabel, 'no line change')}</select> <input name="qty" inputmode="decimal" placeholder="qty" size="5"> <input name="unitPrice" inputmode="decimal" placeholder="unit price" size="8"> <input name="addAmount" inputmode="decimal" placeholder="add a line: amount" size="12"> <input name="addDescription" placeholder="its description"> <input name="dueDate" type="date" aria-label="Due date"> <button>Save</button></form>`;
  const voidForm =
    status === 'Voided' ? '' : `<form method="post" action="${base}/void"><button>Void</button></form>`;
  const deleteForm = `<form method="post" action="${base}/delete"><button>Delete</button></form>`;
  return `<tr><td>${e(invoice['DocNumber'] ?? '')}</td><td>${e(refName(invoice['CustomerRef']))}</td><td class="n">${e(amount(invoice['TotalAmt']))}</td><td class="n">${e(amount(invoice['Balance']))}</td><td>${e(invoice['DueDate'] ?? '')}</td><td>${e(status)}</td>
<td><details><summary>Actions</summary>${pay}${edit}${voidForm}${deleteForm}</details></td></tr>`;
}

function customerRow(view: CompanyView, customer: QbObject): string {
  const email = (customer['PrimaryEmailAddr'] as { Address?: string } | undefined)?.Address ?? '';
  const active = customer['Active'] !== false;
  const action = `/app/${e(encodeURIComponent(view.realmId))}/customers/${e(encodeURIComponent(customer.Id ?? ''))}/delete`;
  return `<tr><td>${e(customer['DisplayName'])}</td><td>${e(email)}</td><td class="n">${e(amount(customer['Balance']))}</td><td>${active ? 'Active' : 'Inactive'}</td>
<td>${active ? `<form method="post" action="${action}"><button>Make inactive</button></form>` : ''}</td></tr>`;
}

export function companyPage(view: CompanyView): string {
  const realm = `/app/${e(encodeURIComponent(view.realmId))}`;
  const notice = view.notice
    ? `<p class="notice${view.notice.error ? ' error' : ''}" role="${view.notice.error ? 'alert' : 'status'}">${e(view.notice.text)}</p>`
    : '';
  const activeCustomers = view.customers.filter((customer) => customer['Active'] !== false);
  const body = `<p><a href="/app">All companies</a></p>
<h1>${e(view.companyName)}</h1>
${notice}
<h2>Invoices</h2>
<table>
<thead><tr><th>No.</th><th>Customer</th><th class="n">Total</th><th class="n">Balance</th><th>Due date</th><th>Status</th><th></th></tr></thead>
<tbody>
${view.invoices.map((invoice) => invoiceRow(view, invoice)).join('\n')}
</tbody>
</table>
<fieldset><legend>New invoice</legend>
<form method="post" action="${realm}/invoices">
<select name="customerId" required aria-label="Customer">${options(activeCustomers, (c) => c['DisplayName'], 'choose a customer')}</select>
<select name="itemId" aria-label="Product or service">${options(view.items, (i) => i['Name'], 'default service')}</select>
<input name="qty" inputmode="decimal" placeholder="qty" size="5">
<input name="unitPrice" inputmode="decimal" placeholder="rate" size="8">
<input name="amount" inputmode="decimal" placeholder="amount" size="10">
<input name="description" placeholder="description">
<input name="docNumber" placeholder="invoice no." maxlength="21" size="10">
<input name="dueDate" type="date" aria-label="Due date">
<button>Save invoice</button>
</form></fieldset>
<h2>Customers</h2>
<table>
<thead><tr><th>Name</th><th>Email</th><th class="n">Open balance</th><th>Status</th><th></th></tr></thead>
<tbody>
${view.customers.map((customer) => customerRow(view, customer)).join('\n')}
</tbody>
</table>
<fieldset><legend>New customer</legend>
<form method="post" action="${realm}/customers">
<input name="displayName" required placeholder="display name">
<input name="email" type="email" placeholder="email">
<button>Save customer</button>
</form></fieldset>`;
  return layout(`${view.companyName}: QuickBooks emulator`, body);
}
