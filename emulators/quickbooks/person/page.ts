import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { PersonResult } from './actions.js';
import {
  createCustomer,
  createInvoice,
  deactivateCustomer,
  deleteInvoice,
  editInvoice,
  recordPayment,
  voidInvoice,
} from './actions.js';
import type { QbObject, QuickBooksClient } from './client.js';
import { describeFault, isFailure } from './client.js';
import { customerInput, invoiceEdit, invoiceInput, paymentInput } from './schemas.js';
import { companiesPage, companyPage, escapeHtml } from './view.js';

export type Companies = () => readonly { realmId: string; companyName: string }[];
type Form = Record<string, string | undefined>;
type Params = { realmId: string; id?: string };

// Inline styles only, nothing loaded from elsewhere, and forms post back here alone.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'";

/** Blank fields are fields the person left empty: absent, not "". */
function filled(body: unknown): Form {
  const form: Form = {};
  for (const [key, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && value.trim() !== '') form[key] = value;
  }
  return form;
}

const describeIssues = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.join('.') || 'form'}: ${issue.message}`).join('; ');

/** Reads what the page lists; inactive customers are asked for separately since a plain query omits them. */
async function loadCompany(client: QuickBooksClient, realmId: string) {
  const [active, inactive, invoices, items, accounts] = await Promise.all([
    client.queryAll(realmId, 'Customer'),
    client.queryAll(realmId, 'Customer', 'Active = false'),
    client.queryAll(realmId, 'Invoice'),
    client.queryAll(realmId, 'Item'),
    client.queryAll(realmId, 'Account'),
  ]);
  if (!Array.isArray(active)) return active;
  if (!Array.isArray(invoices)) return invoices;
  const customers = new Map<string, QbObject>();
  for (const customer of [...active, ...(Array.isArray(inactive) ? inactive : [])]) {
    customers.set(customer.Id ?? '', customer);
  }
  const byId = (a: QbObject, b: QbObject) => Number(a.Id) - Number(b.Id);
  const open = (invoice: QbObject) => (Number(invoice['Balance'] ?? 0) > 0 ? 0 : 1);
  return {
    customers: [...customers.values()].sort(byId),
    invoices: [...invoices].sort((a, b) => open(a) - open(b) || byId(a, b)),
    items: Array.isArray(items) ? items.filter((item) => item['Active'] !== false) : [],
    depositAccounts: Array.isArray(accounts)
      ? accounts.filter((account) => account['AccountType'] === 'Bank' && account['Active'] !== false)
      : [],
  };
}

/** `GET /app`, `GET /app/:realmId` and the page's forms: post, act as the person, redirect back with a notice. */
export function registerPersonPages(
  scope: FastifyInstance,
  client: QuickBooksClient,
  companies: Companies,
): void {
  const company = (realmId: string) => companies().find((known) => known.realmId === realmId);
  const html = (reply: FastifyReply) =>
    reply.header('content-security-policy', CSP).type('text/html; charset=utf-8');
  const missing = (reply: FastifyReply, realmId: string) =>
    html(reply)
      .status(404)
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>No such company</title></head><body><h1>There is no company ${escapeHtml(realmId)}.</h1><p><a href="/app">All companies</a></p></body></html>`,
      );

  scope.get('/app', async (_request, reply) => html(reply).send(companiesPage(companies())));

  scope.get<{ Params: Params; Querystring: { notice?: string; error?: string } }>(
    '/app/:realmId',
    async (request, reply) => {
      const { realmId } = request.params;
      const found = company(realmId);
      if (!found) return missing(reply, realmId);
      const loaded = await loadCompany(client, realmId);
      if (!('customers' in loaded)) {
        return html(reply)
          .status(502)
          .send(
            `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>QuickBooks error</title></head><body><p>QuickBooks refused to list the company: ${escapeHtml(describeFault(loaded))}</p></body></html>`,
          );
      }
      const { notice, error } = request.query;
      return html(reply).send(
        companyPage({
          realmId,
          companyName: found.companyName,
          ...loaded,
          ...(notice ? { notice: { text: notice, error: error === '1' } } : {}),
        }),
      );
    },
  );

  const form = <S extends z.ZodType>(
    path: string,
    schema: S | undefined,
    toInput: (fields: Form) => unknown,
    act: (realmId: string, id: string, input: z.infer<S>) => Promise<PersonResult>,
  ) =>
    scope.post<{ Params: Params }>(`/app/:realmId${path}`, async (request, reply) => {
      const { realmId, id = '' } = request.params;
      if (!company(realmId)) return missing(reply, realmId);
      const back = (text: string, failed: boolean) =>
        reply.redirect(
          `/app/${encodeURIComponent(realmId)}?${new URLSearchParams({ notice: text, ...(failed ? { error: '1' } : {}) }).toString()}`,
          303,
        );
      const parsed = schema?.safeParse(toInput(filled(request.body)));
      if (parsed && !parsed.success) return back(describeIssues(parsed.error), true);
      const result = await act(realmId, id, parsed?.data as z.infer<S>);
      const failed = result.status >= 400 || isFailure({ status: result.status, body: result.body });
      return back(result.message, failed);
    });

  const none = () => ({});
  form(
    '/invoices',
    invoiceInput,
    (f) => ({
      customerId: f['customerId'],
      docNumber: f['docNumber'],
      dueDate: f['dueDate'],
      lines: [
        {
          itemId: f['itemId'],
          qty: f['qty'],
          unitPrice: f['unitPrice'],
          amount: f['amount'],
          description: f['description'],
        },
      ],
    }),
    (realm, _id, input) => createInvoice(client, realm, input),
  );
  form(
    '/invoices/:id/payments',
    paymentInput,
    (f) => f,
    (realm, id, input) => recordPayment(client, realm, id, input),
  );
  form(
    '/invoices/:id/edit',
    invoiceEdit,
    (f) => ({
      dueDate: f['dueDate'],
      ...(f['lineId'] ? { lines: [{ lineId: f['lineId'], qty: f['qty'], unitPrice: f['unitPrice'] }] } : {}),
      ...((f['addAmount'] ?? f['addItemId'])
        ? { addLines: [{ amount: f['addAmount'], itemId: f['addItemId'], description: f['addDescription'] }] }
        : {}),
    }),
    (realm, id, input) => editInvoice(client, realm, id, input),
  );
  form('/invoices/:id/void', undefined, none, (realm, id) => voidInvoice(client, realm, id));
  form('/invoices/:id/delete', undefined, none, (realm, id) => deleteInvoice(client, realm, id));
  form(
    '/customers',
    customerInput,
    (f) => f,
    (realm, _id, input) => createCustomer(client, realm, input),
  );
  form('/customers/:id/delete', undefined, none, (realm, id) => deactivateCustomer(client, realm, id));
}
