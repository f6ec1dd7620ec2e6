import { UnknownCurrencyError } from './errors.js';

export { UnknownCurrencyError } from './errors.js';

/*
 * Active ISO 4217 currencies (list one) and their minor-unit exponents. Codes without minor units in
 * ISO 4217 (precious metals XAU/XAG/XPD/XPT, bond-market units XBA–XBD, XDR, XSU, XUA and the testing
 * codes XTS/XXX) are deliberately absent: nobody invoices in them, and Stripe/QuickBooks reject them.
 * Withdrawn codes (HRK, CUC, VEF, ZWL, ...) are absent too, so stale data fails loudly at the boundary.
 * Codes are matched exactly: ISO codes are upper case, and adapters (Stripe sends "usd") upper-case them.
 */
// Space-separated lists keep the table dense and easy to diff against the ISO 4217 publication.
const codes = (list: string): readonly string[] => list.split(' ');

const ZERO_DECIMAL = codes('BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF');
const THREE_DECIMAL = codes('BHD IQD JOD KWD LYD OMR TND');
const FOUR_DECIMAL = codes('CLF UYW');
const TWO_DECIMAL = codes(
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD ' +
    'CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS ' +
    'GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL ' +
    'MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK ' +
    'PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB ' +
    'TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG',
);

const EXPONENTS: ReadonlyMap<string, number> = new Map<string, number>([
  ...ZERO_DECIMAL.map((code) => [code, 0] as const),
  ...TWO_DECIMAL.map((code) => [code, 2] as const),
  ...THREE_DECIMAL.map((code) => [code, 3] as const),
  ...FOUR_DECIMAL.map((code) => [code, 4] as const),
]);

/** Every supported currency code, sorted alphabetically. */
export const CURRENCY_CODES: readonly string[] = Object.freeze([...EXPONENTS.keys()].sort());

export function isCurrencyCode(code: string): boolean {
  return EXPONENTS.has(code);
}

/** Number of digits after the decimal point in the currency's minor unit (USD 2, JPY 0, KWD 3). */
export function currencyExponent(code: string): number {
  const exponent = EXPONENTS.get(code);
  if (exponent === undefined) throw new UnknownCurrencyError(code);
  return exponent;
}
