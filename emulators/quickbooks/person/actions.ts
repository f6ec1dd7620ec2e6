import type { QbAnswer, QbObject, QuickBooksClient } from './client.js';
import { describeFault, faultOf, isFailure } from './client.js';
import { changedLines, PersonError, salesLine } from './lines.js';
import type { CustomerInput, InvoiceEdit, InvoiceInput, PaymentInput } from './schemas.js';

/** What a person's action ended in: QuickBooks' own answer (or a refusal before any request) and a sentence. */
export interface PersonResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly message: string;
}

/** A person re-reads and saves again when someone else saved in between: their edit wins. */
const STALE_OBJECT = '5010';
const SAVE_ATTEMPTS = 3;

const ref = (value: unknown): { value: string } => ({ value: String(value) });

function fromAnswer(answer: QbAnswer, done: string, body = answer.body): PersonResult {
  return isFailure(answer)
    ? { status: answer.status, body: answer.body, message: `QuickBooks refused: ${describeFault(answer)}` }
    : { status: answer.status, body, message: done };
}

function refusal(error: unknown): PersonResult {
  if (!(error instanceof PersonError)) throw error;
  return { status: error.status, body: { error: error.message }, message: error.message };
}

/**
 * Opens the object, makes the change from what is on screen, saves; on a stale SyncToken (someone
 * saved meanwhile) opens it again and repeats, as a person clicking Save again would.
 */
async function saveOver(
  client: QuickBooksClient,
  realmId: string,
  entity: 'Invoice' | 'Customer',
  id: string,
  operation: '' | '?operation=void' | '?operation=delete',
  change: (current: QbObject) => Record<string, unknown> | Promise<Record<string, unknown>>,
): Promise<QbAnswer> {
  for (let attempt = 1; ; attempt++) {
    const { object, answer } = await client.read(realmId, entity, id);
    if (!object) return answer;
    const saved = await client.post(realmId, `${entity.toLowerCase()}${operation}`, await change(object));
    const stale = faultOf(saved)?.Error.some((error) => error.code === STALE_OBJECT) ?? false;
    if (!stale || attempt >= SAVE_ATTEMPTS) return saved;
  }
}

export async function recordPayment(
  client: QuickBooksClient,
  realmId: string,
  invoiceId: string,
  input: PaymentInput,
): Promise<PersonResult> {
  const { object: invoice, answer } = await client.read(realmId, 'Invoice', invoiceId);
  if (!invoice) return fromAnswer(answer, '');
  const balance = invoice['Balance'];
  const amount = input.amount === undefined ? Number(balance ?? 0) : Number(input.amount);
  if (input.amount === undefined && !(amount > 0)) {
    return refusal(new PersonError(400, `Invoice ${invoiceId} has no open balance to pay`));
  }
  const currency = invoice['CurrencyRef'];
  const paid = await client.post(realmId, 'payment', {
    CustomerRef: ref((invoice['CustomerRef'] as { value?: unknown } | undefined)?.value),
    TotalAmt: amount,
    Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoiceId, TxnType: 'Invoice' }] }],
    ...(currency ? { CurrencyRef: currency } : {}),
    ...(input.date === undefined ? {} : { TxnDate: input.date }),
    ...(input.depositToAccountId === undefined ? {} : { DepositToAccountRef: ref(input.depositToAccountId) }),
  });
  if (isFailure(paid)) return fromAnswer(paid, '');
  const after = await client.read(realmId, 'Invoice', invoiceId);
  return fromAnswer(paid, `Recorded a payment of ${amount.toFixed(2)} on invoice ${docLabel(invoice)}`, {
    Payment: paid.body['Payment'],
    ...(after.object ? { Invoice: after.object } : {}),
  });
}

export async function editInvoice(
  client: QuickBooksClient,
  realmId: string,
  invoiceId: string,
  edit: InvoiceEdit,
): Promise<PersonResult> {
  try {
    // New lines are built once: their items do not change between save attempts.
    const added = await Promise.all((edit.addLines ?? []).map((line) => salesLine(client, realmId, line)));
    const touchesLines = added.length > 0 || (edit.lines?.length ?? 0) > 0;
    const saved = await saveOver(client, realmId, 'Invoice', invoiceId, '', (invoice) => ({
      Id: invoice.Id,
      SyncToken: invoice.SyncToken,
      sparse: true,
      ...(edit.dueDate === undefined ? {} : { DueDate: edit.dueDate }),
      ...(touchesLines ? { Line: [...changedLines(invoice, edit.lines ?? []), ...added] } : {}),
    }));
    return fromAnswer(saved, `Saved invoice ${docLabel(saved.body['Invoice'])}`);
  } catch (error) {
    return refusal(error);
  }
}

export async function voidInvoice(
  client: QuickBooksClient,
  realmId: string,
  invoiceId: string,
): Promise<PersonResult> {
  const saved = await saveOver(client, realmId, 'Invoice', invoiceId, '?operation=void', (invoice) => ({
    Id: invoice.Id,
    SyncToken: invoice.SyncToken,
  }));
  return fromAnswer(saved, `Voided invoice ${docLabel(saved.body['Invoice'])}`);
}

export async function deleteInvoice(
  client: QuickBooksClient,
  realmId: string,
  invoiceId: string,
): Promise<PersonResult> {
  const saved = await saveOver(client, realmId, 'Invoice', invoiceId, '?operation=delete', (invoice) => ({
    Id: invoice.Id,
    SyncToken: invoice.SyncToken,
  }));
  return fromAnswer(saved, `Deleted invoice ${invoiceId}`);
}

/** QuickBooks never deletes a customer: "delete" in its screens makes the customer inactive. */
export async function deactivateCustomer(
  client: QuickBooksClient,
  realmId: string,
  customerId: string,
): Promise<PersonResult> {
  const saved = await saveOver(client, realmId, 'Customer', customerId, '', (customer) => ({
    Id: customer.Id,
    SyncToken: customer.SyncToken,
    sparse: true,
    Active: false,
  }));
  return fromAnswer(saved, `Made customer ${customerId} inactive`);
}

export async function createCustomer(
  client: QuickBooksClient,
  realmId: string,
  input: CustomerInput,
): Promise<PersonResult> {
  const created = await client.post(realmId, 'customer', {
    DisplayName: input.displayName,
    ...(input.email === undefined ? {} : { PrimaryEmailAddr: { Address: input.email } }),
  });
  return fromAnswer(created, `Created customer ${input.displayName}`);
}

export async function createInvoice(
  client: QuickBooksClient,
  realmId: string,
  input: InvoiceInput,
): Promise<PersonResult> {
  try {
    const lines = [];
    for (const line of input.lines) lines.push(await salesLine(client, realmId, line));
    const created = await client.post(realmId, 'invoice', {
      CustomerRef: ref(input.customerId),
      Line: lines,
      ...(input.docNumber === undefined ? {} : { DocNumber: input.docNumber }),
      ...(input.txnDate === undefined ? {} : { TxnDate: input.txnDate }),
      ...(input.dueDate === undefined ? {} : { DueDate: input.dueDate }),
    });
    return fromAnswer(created, `Created invoice ${docLabel(created.body['Invoice'])}`);
  } catch (error) {
    return refusal(error);
  }
}

function docLabel(invoice: unknown): string {
  const object = (invoice ?? {}) as QbObject;
  const number = object['DocNumber'];
  return typeof number === 'string' && number ? number : `#${object.Id ?? '?'}`;
}
