import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeInvoice,
  computeLine,
  type InvoiceTotals,
  type LineInput,
  type LineTotals,
} from './invoice-math.js';

/*
 * Property tests for invoice-math.ts. The strongest one compares every line against an independent
 * oracle written with BigInt fixed-point arithmetic (no decimal.js), so a bug in the implementation's
 * use of decimal.js cannot hide behind the same bug in the test.
 */

const MICRO = 1_000_000n; // quantities have ≤ 6 fraction digits
const RATE_SCALE = 10_000n; // rates have ≤ 4 fraction digits

/** round(n / d) half up, for n ≥ 0, d > 0. */
const roundDiv = (n: bigint, d: bigint): bigint => (2n * n + d) / (2n * d);

const fixed = (scaled: bigint, scale: bigint, digits: number): string =>
  `${scaled / scale}.${(scaled % scale).toString().padStart(digits, '0')}`;

interface Generated {
  readonly qtyMicros: bigint;
  readonly unitPrice: number;
  readonly discount: { kind: 'percent'; rateE4: bigint } | { kind: 'amountShare'; share: number } | undefined;
  readonly taxE4: bigint | undefined;
  readonly inclusive: boolean;
}

const rateE4 = fc.bigInt({ min: 0n, max: 100n * RATE_SCALE });
const generated: fc.Arbitrary<Generated> = fc.record({
  qtyMicros: fc.bigInt({ min: 0n, max: 10_000n * MICRO }),
  unitPrice: fc.oneof(fc.integer({ min: 0, max: 10_000_000 }), fc.constantFrom(0, 1, 3333, 9999)),
  discount: fc.option(
    fc.oneof(
      rateE4.map((r) => ({ kind: 'percent' as const, rateE4: r })),
      fc.double({ min: 0, max: 1, noNaN: true }).map((share) => ({ kind: 'amountShare' as const, share })),
    ),
    { nil: undefined },
  ),
  taxE4: fc.option(fc.oneof(rateE4, fc.constantFrom(0n, 200_000n, 88_750n, 190_000n)), { nil: undefined }),
  inclusive: fc.boolean(),
});

/** Independent reference implementation of the documented rounding rule. */
function oracle(g: Generated): LineTotals {
  const gross = roundDiv(g.qtyMicros * BigInt(g.unitPrice), MICRO);
  let discount = 0n;
  if (g.discount?.kind === 'percent') discount = roundDiv(gross * g.discount.rateE4, 100n * RATE_SCALE);
  if (g.discount?.kind === 'amountShare') discount = BigInt(Math.floor(Number(gross) * g.discount.share));
  const discounted = gross - discount;
  let net = discounted;
  let tax = 0n;
  if (g.taxE4 !== undefined && g.inclusive) {
    net = roundDiv(discounted * 100n * RATE_SCALE, 100n * RATE_SCALE + g.taxE4);
    tax = discounted - net;
  } else if (g.taxE4 !== undefined) {
    tax = roundDiv(discounted * g.taxE4, 100n * RATE_SCALE);
  }
  const n = Number;
  return { gross: n(gross), discount: n(discount), net: n(net), tax: n(tax), total: n(net + tax) };
}

function toInput(g: Generated): LineInput {
  const expected = oracle(g);
  return {
    quantity: fixed(g.qtyMicros, MICRO, 6),
    unitPrice: g.unitPrice,
    discount:
      g.discount === undefined
        ? undefined
        : g.discount.kind === 'percent'
          ? { kind: 'percent', rate: fixed(g.discount.rateE4, RATE_SCALE, 4) }
          : { kind: 'amount', amount: expected.discount },
    taxRate: g.taxE4 === undefined ? undefined : fixed(g.taxE4, RATE_SCALE, 4),
    taxInclusive: g.inclusive,
  };
}

const invoiceLines = fc.array(generated, { maxLength: 12 });
const totalsOf = ({ subtotal, discount, tax, total }: InvoiceTotals) => ({ subtotal, discount, tax, total });

describe('computeInvoice properties', () => {
  it('every line matches the BigInt reference implementation of the rounding rule', () => {
    fc.assert(
      fc.property(generated, (g) => {
        expect(computeLine(toInput(g))).toEqual(oracle(g));
      }),
    );
  });

  it('(a) the invoice total is the sum of the line totals, and likewise for discount and tax', () => {
    fc.assert(
      fc.property(invoiceLines, (gs) => {
        const invoice = computeInvoice('USD', gs.map(toInput));
        const add = (pick: (l: LineTotals) => number) => invoice.lines.reduce((s, l) => s + pick(l), 0);
        expect(invoice.total).toBe(add((l) => l.total));
        expect(invoice.discount).toBe(add((l) => l.discount));
        expect(invoice.tax).toBe(add((l) => l.tax));
      }),
    );
  });

  it('(b) subtotal − discount + tax = total, exactly', () => {
    fc.assert(
      fc.property(invoiceLines, (gs) => {
        const invoice = computeInvoice('EUR', gs.map(toInput));
        expect(invoice.subtotal - invoice.discount + invoice.tax).toBe(invoice.total);
      }),
    );
  });

  it('(c) inclusive tax: net + tax = gross − discount, and exclusive tax: net = gross − discount', () => {
    fc.assert(
      fc.property(generated, (g) => {
        const line = computeLine(toInput(g));
        if (g.taxE4 !== undefined && g.inclusive)
          expect(line.net + line.tax).toBe(line.gross - line.discount);
        else expect(line.net).toBe(line.gross - line.discount);
        expect(line.total).toBe(line.net + line.tax);
      }),
    );
  });

  it('(d) every amount is a safe integer ≥ 0, discount ≤ gross and tax is off by at most ½ unit', () => {
    fc.assert(
      fc.property(generated, (g) => {
        const line = computeLine(toInput(g));
        for (const value of Object.values(line)) {
          expect(Number.isSafeInteger(value) && value >= 0 && !Object.is(value, -0)).toBe(true);
        }
        expect(line.discount).toBeLessThanOrEqual(line.gross);
        // Tax is within half a minor unit of the exact tax (exact integer arithmetic, scale S = 100%).
        const S = 100n * RATE_SCALE;
        const r = g.taxE4 ?? 0n;
        const abs = (x: bigint) => (x < 0n ? -x : x);
        const tax = BigInt(line.tax);
        if (g.inclusive) expect(2n * abs(tax * (S + r) - BigInt(line.total) * r) <= S + r).toBe(true);
        else expect(2n * abs(tax * S - BigInt(line.net) * r) <= S).toBe(true);
      }),
    );
  });

  it('(e) deterministic, and reordering lines permutes them without changing any total', () => {
    fc.assert(
      fc.property(
        invoiceLines.chain((gs) =>
          fc.tuple(fc.constant(gs), fc.shuffledSubarray(gs, { minLength: gs.length })),
        ),
        ([gs, shuffled]) => {
          const inputs = gs.map(toInput);
          const invoice = computeInvoice('JPY', inputs);
          expect(computeInvoice('JPY', inputs)).toEqual(invoice);
          const reordered = computeInvoice('JPY', shuffled.map(toInput));
          expect(totalsOf(reordered)).toEqual(totalsOf(invoice));
          const byKey = (ls: readonly LineTotals[]) => ls.map((l) => JSON.stringify(l)).sort();
          expect(byKey(reordered.lines)).toEqual(byKey(invoice.lines));
        },
      ),
    );
  });

  it('(f) quantity k on one line equals k lines of quantity 1 when no rounding occurs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.option(rateE4, { nil: undefined }),
        (k, price, taxE4) => {
          // With a tax rate the price is a multiple of 10^6 minor units, so price × rate is an integer.
          const unitPrice = taxE4 === undefined ? price : (price % 1000) * 1_000_000;
          const taxRate = taxE4 === undefined ? undefined : fixed(taxE4, RATE_SCALE, 4);
          const one = computeInvoice('USD', [{ quantity: String(k), unitPrice, taxRate }]);
          const many = computeInvoice(
            'USD',
            Array.from({ length: k }, () => ({ quantity: '1', unitPrice, taxRate })),
          );
          expect(totalsOf(one)).toEqual(totalsOf(many));
        },
      ),
    );
  });

  it('rounding is per line: splitting a line can differ by at most half a minor unit per line', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 0, max: 100_000 }),
        rateE4,
        (k, price, r) => {
          const taxRate = fixed(r, RATE_SCALE, 4);
          const one = computeInvoice('USD', [{ quantity: String(k), unitPrice: price, taxRate }]);
          const many = computeInvoice(
            'USD',
            Array.from({ length: k }, () => ({ quantity: '1', unitPrice: price, taxRate })),
          );
          expect(Math.abs(one.tax - many.tax)).toBeLessThanOrEqual((k + 1) / 2);
        },
      ),
    );
  });
});
