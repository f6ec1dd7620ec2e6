import { describe, expect, it } from 'vitest';
import { CURRENCY_CODES, currencyExponent, isCurrencyCode } from './currency.js';
import { DomainError, UnknownCurrencyError } from './errors.js';

describe('currencyExponent', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['XOF', 0],
    ['UYI', 0],
    ['KWD', 3],
    ['BHD', 3],
    ['TND', 3],
    ['CLF', 4],
    ['UYW', 4],
    ['HUF', 2],
    ['IRR', 2],
  ])('%s has exponent %i', (code, exponent) => {
    expect(currencyExponent(code)).toBe(exponent);
  });

  it('covers exactly the listed zero, three and four decimal currencies', () => {
    const byExponent = (e: number) => CURRENCY_CODES.filter((c) => currencyExponent(c) === e).join(' ');
    expect(byExponent(0)).toBe('BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF');
    expect(byExponent(3)).toBe('BHD IQD JOD KWD LYD OMR TND');
    expect(byExponent(4)).toBe('CLF UYW');
  });

  it.each(['XXX', 'usd', 'US', 'HRK', 'XAU', ''])('rejects %j with UnknownCurrencyError', (code) => {
    expect(() => currencyExponent(code)).toThrow(UnknownCurrencyError);
    expect(isCurrencyCode(code)).toBe(false);
  });

  it('exposes a stable error code for the HTTP layer', () => {
    const error = (() => {
      try {
        currencyExponent('ABC');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'unknown_currency', currency: 'ABC' });
  });
});

describe('CURRENCY_CODES', () => {
  it('is sorted, unique and made of three upper-case letters', () => {
    expect([...CURRENCY_CODES].sort()).toEqual(CURRENCY_CODES);
    expect(new Set(CURRENCY_CODES).size).toBe(CURRENCY_CODES.length);
    expect(CURRENCY_CODES.length).toBeGreaterThan(150);
    for (const code of CURRENCY_CODES) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect(isCurrencyCode(code)).toBe(true);
    }
    expect(Object.isFrozen(CURRENCY_CODES)).toBe(true);
  });

  it('contains no typos: every code is known to ICU, apart from ISO fund codes ICU does not list', () => {
    // ICU lists currencies people price things in; ISO 4217 also has funds codes (BOV, CHE, ...) and VED.
    const notInIcu = new Set(['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW', 'VED']);
    const icu = new Set(Intl.supportedValuesOf('currency'));
    expect(CURRENCY_CODES.filter((code) => !icu.has(code) && !notInIcu.has(code))).toEqual([]);
  });
});
