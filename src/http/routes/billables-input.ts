import {
  computeInvoice,
  type Discount,
  InvoiceMathError,
  type LineTotals,
} from '../../domain/invoice-math.js';
import type { Billable, BillableInput } from '../../store/repositories/billables.js';
import type { Parent } from '../../store/repositories/parents.js';
import { type Service, servicePriceIn } from '../../store/repositories/services.js';
import { AppError, invalidField } from '../errors.js';

/** What a client sent to create a billable, already parsed by the route schema (absent = undefined). */
export interface NewBillableRequest {
  readonly contactId?: string | undefined;
  readonly description?: string | undefined;
  readonly quantity: string;
  readonly unitPrice?: number | undefined;
  readonly currency?: string | undefined;
  readonly discount: Discount | null;
  readonly taxRate?: string | null | undefined;
  readonly taxInclusive?: boolean | undefined;
}

/**
 * Fills a new billable from its parent and (optional) catalog service: the contact is the parent's, the
 * price, currency, description and tax come from the catalog unless the request overrides them. Billing
 * in one of the service's other currencies (`prices`) takes the catalog price in that currency; in any
 * other currency the request must give unit_price (a negotiated price), never a converted one.
 */
export function resolveNewBillable(
  parent: Parent,
  service: Service | undefined,
  req: NewBillableRequest,
): BillableInput {
  if (req.contactId !== undefined && req.contactId !== parent.contactId) {
    throw new AppError(
      'validation',
      'contact_mismatch',
      `contact_id: must be the ${parent.type}'s contact '${parent.contactId}', got '${req.contactId}'`,
      [{ field: 'contact_id', message: `must be the ${parent.type}'s contact` }],
    );
  }
  if (service?.status === 'archived') {
    throw new AppError(
      'conflict',
      'service_archived',
      `service_id: service '${service.id}' (${service.code}) is archived and cannot be used for new billables`,
      { field: 'service_id', id: service.id },
    );
  }
  const currency = req.currency ?? service?.currency;
  if (currency === undefined) throw invalidField('currency', 'is required when no service_id is given');
  const unitPrice = req.unitPrice ?? (service && servicePriceIn(service, currency));
  if (service && unitPrice === undefined) {
    const priced = [service.currency, ...service.prices.map((price) => price.currency)].join(', ');
    throw invalidField(
      'currency',
      `the catalog prices of '${service.code}' are in ${priced}; give unit_price to bill in ${currency}`,
    );
  }
  if (unitPrice === undefined) throw invalidField('unit_price', 'is required when no service_id is given');
  const description = req.description ?? (service && serviceLineText(service));
  if (description === undefined) throw invalidField('description', 'is required when no service_id is given');
  return checkLine({
    parentType: parent.type,
    parentId: parent.id,
    contactId: parent.contactId,
    serviceId: service?.id ?? null,
    description,
    quantity: req.quantity,
    unitPrice,
    currency,
    discount: req.discount,
    taxRate: req.taxRate === undefined ? (service?.taxRate ?? null) : req.taxRate,
    taxInclusive: req.taxInclusive ?? service?.taxInclusive ?? false,
  });
}

function serviceLineText(service: Service): string {
  return service.description ? `${service.name} — ${service.description}` : service.name;
}

export type BillablePatch = Partial<
  Pick<
    Billable,
    'description' | 'quantity' | 'unitPrice' | 'currency' | 'discount' | 'taxRate' | 'taxInclusive'
  >
>;

/** Invoicing owns a billable once it is on an invoice: only unbilled ones may change or be deleted. */
export function assertEditable(billable: Billable): void {
  if (billable.status === 'unbilled') return;
  const where = billable.invoiceId ? ` (on invoice '${billable.invoiceId}')` : '';
  throw new AppError(
    'conflict',
    'billable_not_editable',
    `Billable '${billable.id}' is ${billable.status}${where}; only unbilled billables can be changed or deleted`,
    { status: billable.status, invoice_id: billable.invoiceId },
  );
}

/** Applies a PATCH to an unbilled billable. Changing currency re-prices: amounts in the old one cannot stay. */
export function patchBillable(current: Billable, patch: BillablePatch): Billable {
  assertEditable(current);
  if (patch.currency !== undefined && patch.currency !== current.currency) {
    if (patch.unitPrice === undefined) {
      throw invalidField(
        'unit_price',
        `is required when changing currency (it is in ${current.currency} now)`,
      );
    }
    if (current.discount?.kind === 'amount' && patch.discount === undefined) {
      throw invalidField(
        'discount',
        `is required when changing currency (its amount is in ${current.currency})`,
      );
    }
  }
  const next = { ...current, ...patch };
  checkLine(next);
  return next;
}

type LineFields = Pick<
  BillableInput,
  'quantity' | 'unitPrice' | 'currency' | 'discount' | 'taxRate' | 'taxInclusive'
>;

/** The line as the invoice maths sees it; `computeInvoice` gives the amounts it would print. */
export function amountPreview(line: LineFields): LineTotals {
  const [totals] = computeInvoice(line.currency, [
    {
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      discount: line.discount ?? undefined,
      taxRate: line.taxRate ?? undefined,
      taxInclusive: line.taxInclusive,
    },
  ]).lines;
  if (!totals) throw new Error('computeInvoice returned no line');
  return totals;
}

/** Refuses a line the invoice maths would refuse later (a discount larger than the line), naming the field. */
function checkLine<T extends LineFields>(line: T): T {
  try {
    amountPreview(line);
  } catch (error) {
    if (error instanceof InvoiceMathError) {
      throw invalidField('discount', error.message.replace(/^line \d+: /, ''));
    }
    throw error;
  }
  return line;
}
