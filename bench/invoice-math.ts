import { computeInvoice, type LineInput } from '../src/domain/invoice-math.js';
import { type Figure, perSecond, timed } from './measure.js';

/** Pure invoice math: 50-line invoices with fractional quantities, discounts and both tax modes. */
export async function benchInvoiceMath(): Promise<Figure[]> {
  const lines: LineInput[] = Array.from({ length: 50 }, (_, i) => ({
    quantity: `${(i % 7) + 1}.${i % 10}`,
    unitPrice: 1999 + i * 37,
    ...(i % 3 === 0 ? { discount: { kind: 'percent' as const, rate: '12.5' } } : {}),
    ...(i % 2 === 0 ? { taxRate: '8.875' } : { taxRate: '20', taxInclusive: true }),
  }));
  const invoices = 2_000;
  computeInvoice('USD', lines); // warm up
  const { ms } = await timed(async () => {
    for (let i = 0; i < invoices; i++) computeInvoice('USD', lines);
  });
  return [
    {
      name: 'invoice math, 50-line invoice',
      value: perSecond(invoices, ms),
      detail: `${invoices} invoices in ${ms.toFixed(0)} ms (${((ms * 1000) / (invoices * 50)).toFixed(1)} µs per line)`,
    },
  ];
}
