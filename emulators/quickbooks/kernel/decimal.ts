import type { Decimal as DecimalValue } from 'decimal.js';
import DecimalModule from 'decimal.js';

/*
 * decimal.js ships CommonJS-style typings beside its ESM build: under NodeNext the default import
 * is typed as the module while at runtime it is the class. One cast here, and a private clone with
 * enough precision that quantity × price products are exact.
 */
const GlobalDecimal = DecimalModule as unknown as typeof DecimalModule.default;

export const Decimal = GlobalDecimal.clone({ precision: 50, rounding: GlobalDecimal.ROUND_HALF_UP });
export type Decimal = DecimalValue;
export type DecimalInput = string | number | DecimalValue;
export const ROUND_HALF_UP = GlobalDecimal.ROUND_HALF_UP;
