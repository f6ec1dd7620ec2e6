import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../test/api.js';
import { backends } from '../../test/databases.js';
import { computeInvoice } from '../domain/index.js';
import { createContact } from '../http/routes/invoices-fixtures.js';

/*
 * Whatever sequence of payments arrives (including ones larger than the balance), an invoice's stored
 * amounts stay consistent: amount_paid + balance = total, nothing beyond the total is ever kept, and
 * the status says exactly what the amounts say.
 */
const line = fc.record({
  description: fc.constant('Item'),
  quantity: fc.oneof(
    fc.integer({ min: 1, max: 20 }).map(String),
    fc
      .tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 999_999 }))
      .map(([i, f]) => `${i}.${f}`),
  ),
  unit_price: fc.integer({ min: 0, max: 250_000 }),
  tax_rate: fc.option(fc.constantFrom('5', '8.875', '20', '0'), { nil: undefined }),
  tax_inclusive: fc.boolean(),
});

describe.each(backends)('payments keep invoices consistent on $name', (backend) => {
  let api: TestApi;
  let tenant: TestTenant;
  let contactId: string;
  beforeAll(async () => {
    api = await startTestApi(backend);
    tenant = await api.tenant();
    contactId = await createContact(tenant);
  });
  afterAll(() => api.close());

  it('never lets amount_paid + balance drift from total or exceed it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 8 }),
        async (lines, draws) => {
          const body = { contact_id: contactId, currency: 'USD', lines: lines.map(withoutUndefined) };
          const created = await tenant.request('POST', '/api/v1/invoices', body);
          expect(created.statusCode).toBe(201);
          const { id, total } = created.json();
          expect(total).toBe(computeInvoice('USD', lines.map(toLineInput)).total);
          await tenant.request('POST', `/api/v1/invoices/${id}/send`);

          let paid = 0;
          for (const draw of draws) {
            const balance = total - paid;
            // Mostly within the balance, sometimes exactly it, sometimes over it.
            const amount = (draw % (balance + 10)) + 1;
            const response = await tenant.request('POST', '/api/v1/payments', {
              invoice_id: id,
              amount,
              currency: 'USD',
              method: 'card',
            });
            if (balance > 0 && amount <= balance) {
              expect(response.statusCode).toBe(201);
              paid += amount;
            } else {
              expect(response.statusCode).toBe(balance === 0 && total > 0 ? 409 : 422);
            }
            const invoice = (await tenant.request('GET', `/api/v1/invoices/${id}`)).json();
            expect(invoice.amount_paid).toBe(paid);
            expect(invoice.amount_paid + invoice.balance).toBe(invoice.total);
            expect(invoice.amount_paid).toBeLessThanOrEqual(invoice.total);
            const status = paid === 0 ? 'open' : paid === total ? 'paid' : 'partially_paid';
            expect(invoice.status).toBe(status);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toLineInput(l: LineArb) {
  return {
    quantity: l.quantity,
    unitPrice: l.unit_price,
    ...(l.tax_rate !== undefined && { taxRate: l.tax_rate, taxInclusive: l.tax_inclusive }),
  };
}

interface LineArb {
  readonly quantity: string;
  readonly unit_price: number;
  readonly tax_rate: string | undefined;
  readonly tax_inclusive: boolean;
}
