import { expect } from 'vitest';
import type { TestApi, TestTenant } from '../../../test/api.js';
import { newId } from '../../store/ids.js';

/** Test helpers shared by the invoice and payment API tests. */

export async function createContact(tenant: TestTenant, name = 'Acme Plumbing'): Promise<string> {
  const response = await tenant.request('POST', '/api/v1/contacts', { kind: 'organization', name });
  expect(response.statusCode).toBe(201);
  return response.json().id;
}

export interface BillableSeed {
  readonly contactId: string;
  readonly description?: string;
  readonly quantity?: string;
  readonly unitPrice?: number;
  readonly currency?: string;
  readonly discount?: { kind: 'percent'; rate: string } | { kind: 'amount'; amount: number };
  readonly taxRate?: string;
  readonly taxInclusive?: boolean;
}

/**
 * Inserts an unbilled billable straight into the table: invoicing only needs the row, and this keeps
 * these tests independent of the billables API's own validation.
 */
export async function seedBillable(api: TestApi, tenant: TestTenant, seed: BillableSeed): Promise<string> {
  const id = newId('bil');
  await api.db.query(
    `INSERT INTO billables (tenant_id, id, parent_type, parent_id, contact_id, description, quantity, unit_price,
       currency, discount_kind, discount_value, tax_rate, tax_inclusive)
     VALUES ($1, $2, 'ticket', 'tkt_test', $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      tenant.tenantId,
      id,
      seed.contactId,
      seed.description ?? 'Work',
      seed.quantity ?? '1',
      seed.unitPrice ?? 1000,
      seed.currency ?? 'USD',
      seed.discount?.kind ?? null,
      seed.discount === undefined
        ? null
        : String(seed.discount.kind === 'percent' ? seed.discount.rate : seed.discount.amount),
      seed.taxRate ?? null,
      seed.taxInclusive ?? false,
    ],
  );
  return id;
}

export async function billableRow(api: TestApi, tenant: TestTenant, id: string) {
  const [row] = await api.db.query(
    'SELECT status, invoice_id FROM billables WHERE tenant_id = $1 AND id = $2',
    [tenant.tenantId, id],
  );
  return row;
}

/** A draft with one line of `total` USD cents (no tax), or an open one when `send` is set. */
export async function createInvoice(
  tenant: TestTenant,
  contactId: string,
  options: { total?: number; currency?: string; send?: boolean } = {},
) {
  const created = await tenant.request('POST', '/api/v1/invoices', {
    contact_id: contactId,
    currency: options.currency ?? 'USD',
    lines: [{ description: 'Service', quantity: '1', unit_price: options.total ?? 10_000 }],
  });
  expect(created.statusCode).toBe(201);
  if (!options.send) return created.json();
  const sent = await tenant.request('POST', `/api/v1/invoices/${created.json().id}/send`);
  expect(sent.statusCode).toBe(200);
  return sent.json();
}

export async function pay(
  tenant: TestTenant,
  invoiceId: string,
  amount: number,
  extra: Record<string, unknown> = {},
) {
  return tenant.request('POST', '/api/v1/payments', {
    invoice_id: invoiceId,
    amount,
    currency: 'USD',
    method: 'bank_transfer',
    ...extra,
  });
}
