import { z } from 'zod';
import { DecimalFormatError, parseQuantity, parseRate } from '../../domain/decimal.js';

/**
 * Decimal strings validated and canonicalised by the domain's own parsers, so the API accepts exactly
 * what the invoice maths accepts ("8.8750" → "8.875", "1.50" → "1.5") and says why when it does not.
 */
function domainDecimal(parse: (value: string) => string) {
  return z.string().transform((value, ctx) => {
    try {
      return parse(value);
    } catch (error) {
      if (!(error instanceof DecimalFormatError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message, input: value });
      return z.NEVER;
    }
  });
}

export const percentRate = domainDecimal(parseRate).describe(
  'Percentage between 0 and 100 as a decimal string with at most 4 fraction digits, e.g. "8.875"',
);

export const positiveQuantity = domainDecimal((value) => {
  const quantity = parseQuantity(value);
  if (quantity === '0') throw new DecimalFormatError('quantity must be greater than 0');
  return quantity;
}).describe('Quantity greater than 0 as a decimal string with at most 6 fraction digits, e.g. "1.5"');
