import { createApiKey, createTenant } from '../src/access/repository.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import type { Db } from '../src/store/db.js';
import { type Figure, percentile, perSecond, runConcurrently, timed } from './measure.js';

/**
 * The billing API over real HTTP on loopback: each iteration records three billables, invoices
 * them, sends the invoice and pays it in full — six requests, each its own transaction.
 */
export async function benchApi(
  label: string,
  db: Db,
  options: { invoices: number; concurrency: number },
): Promise<Figure[]> {
  const app = await buildApp({ db, logger: createLogger('silent'), cookieSecure: false, sessionTtlHours: 1 });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const tenant = await createTenant(db, 'Bench Co');
    const { secret } = await createApiKey(db, { tenantId: tenant.id, name: 'bench', role: 'finance' });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await response.json()) as { id: string; total: number };
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    const contact = await call('POST', '/contacts', { kind: 'organization', name: 'Bench Customer' });
    const service = await call('POST', '/services', {
      code: 'HOUR',
      name: 'Hour',
      unit_price: 12500,
      currency: 'USD',
      tax_rate: '8.875',
    });
    const opportunity = await call('POST', '/opportunities', { title: 'Bench', contact_id: contact.id });
    const invoiceLatencies: number[] = [];
    const { result: lifecycle, ms } = await timed(() =>
      runConcurrently(
        Array.from({ length: options.invoices }, (_, i) => i),
        options.concurrency,
        async (i) => {
          const billables = [];
          for (const quantity of ['1.5', '2', '0.25']) {
            billables.push(
              await call('POST', '/billables', {
                parent_type: 'opportunity',
                parent_id: opportunity.id,
                service_id: service.id,
                quantity,
                discount: { kind: 'percent', rate: String(i % 10) },
              }),
            );
          }
          const started = performance.now();
          const invoice = await call('POST', '/invoices/from-billables', {
            billable_ids: billables.map((b) => b.id),
          });
          invoiceLatencies.push(performance.now() - started);
          await call('POST', `/invoices/${invoice.id}/send`, {});
          await call('POST', '/payments', {
            invoice_id: invoice.id,
            amount: invoice.total,
            currency: 'USD',
            method: 'card',
          });
        },
      ),
    );
    invoiceLatencies.sort((a, b) => a - b);
    return [
      {
        name: `API invoice lifecycle (${label})`,
        value: perSecond(options.invoices, ms),
        detail:
          `${options.invoices} × (3 billables, invoice, send, pay), ${options.concurrency} concurrent clients; ` +
          `lifecycle p50 ${percentile(lifecycle, 50).toFixed(1)} ms`,
      },
      {
        name: `POST /invoices/from-billables latency (${label})`,
        value: `p50 ${percentile(invoiceLatencies, 50).toFixed(1)} ms, p95 ${percentile(invoiceLatencies, 95).toFixed(1)} ms`,
        detail: `${options.invoices} requests, ${options.concurrency} concurrent clients`,
      },
    ];
  } finally {
    await app.close();
  }
}
