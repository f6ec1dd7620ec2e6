import { invalidRequest } from '../../kernel/errors.js';
import type { StripeObject } from '../../kernel/state.js';

/**
 * Stripe's search query language, the part the emulator needs: clauses `field:'value'` (exact,
 * case-insensitive), `field~'value'` (substring, at least 3 characters), `metadata['key']:'value'`
 * and `-` to negate, joined all by `AND` or all by `OR` (Stripe refuses a mix).
 */
export type FieldReader = (object: StripeObject) => string | null | undefined;

interface Clause {
  readonly field: string;
  readonly metadataKey: string | undefined;
  readonly operator: ':' | '~';
  readonly value: string;
  readonly negated: boolean;
}

const CLAUSE =
  /^\s*(-?)([a-z_]+)(?:\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\])?\s*([:~])\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/;

export function compileQuery(
  query: string,
  fields: Readonly<Record<string, FieldReader>>,
): (object: StripeObject) => boolean {
  const clauses: Clause[] = [];
  const joiners = new Set<string>();
  let rest = query;
  for (;;) {
    const match = CLAUSE.exec(rest);
    if (!match) throw invalidQuery(query, "expected a clause such as email:'value'");
    const [whole, minus, field = '', keySingle, keyDouble, operator, valueSingle, valueDouble] = match;
    const metadataKey = unescape(keySingle ?? keyDouble);
    if (field === 'metadata' ? metadataKey === undefined : !(field in fields)) {
      throw invalidQuery(query, `the field \`${field}\` is not supported for search`);
    }
    const value = unescape(valueSingle ?? valueDouble) ?? '';
    if (operator === '~' && value.length < 3) {
      throw invalidQuery(query, 'substring matches (~) need at least 3 characters');
    }
    clauses.push({
      field,
      metadataKey,
      operator: operator === '~' ? '~' : ':',
      value,
      negated: minus === '-',
    });
    rest = rest.slice(whole.length);
    if (rest.trim() === '') break;
    const joiner = /^\s+(AND|OR)\s+/.exec(rest);
    if (!joiner?.[1]) throw invalidQuery(query, 'clauses must be joined by AND or OR');
    joiners.add(joiner[1]);
    rest = rest.slice(joiner[0].length);
  }
  if (joiners.size > 1) throw invalidQuery(query, 'AND and OR cannot be combined in one query');
  const any = joiners.has('OR');
  const test = (object: StripeObject, clause: Clause): boolean => {
    const raw =
      clause.field === 'metadata'
        ? (object.metadata as Record<string, string> | undefined)?.[clause.metadataKey ?? '']
        : fields[clause.field]?.(object);
    const actual = (raw ?? '').toLowerCase();
    const wanted = clause.value.toLowerCase();
    const hit =
      raw !== null &&
      raw !== undefined &&
      (clause.operator === '~' ? actual.includes(wanted) : actual === wanted);
    return clause.negated ? !hit : hit;
  };
  return (object) => (any ? clauses.some((c) => test(object, c)) : clauses.every((c) => test(object, c)));
}

export interface SearchResult<T> {
  object: 'search_result';
  data: T[];
  has_more: boolean;
  next_page: string | null;
  url: string;
}

/** Pages a search by Stripe's opaque `page` token (here the offset, encoded). */
export function searchPage<T extends StripeObject>(
  items: readonly T[],
  params: { limit?: number | undefined; page?: string | undefined },
  url: string,
): SearchResult<T> {
  const limit = params.limit ?? 10;
  let offset = 0;
  if (params.page !== undefined) {
    const decoded = /^o:(\d+)$/.exec(Buffer.from(params.page, 'base64url').toString('utf8'));
    if (!decoded?.[1]) throw invalidRequest(`Invalid page: ${params.page}`, { param: 'page' });
    offset = Number(decoded[1]);
  }
  const data = items.slice(offset, offset + limit);
  const hasMore = offset + limit < items.length;
  return {
    object: 'search_result',
    data,
    has_more: hasMore,
    next_page: hasMore ? Buffer.from(`o:${offset + limit}`).toString('base64url') : null,
    url,
  };
}

function unescape(value: string | undefined): string | undefined {
  return value?.replace(/\\(.)/g, '$1');
}

function invalidQuery(query: string, reason: string) {
  return invalidRequest(`Invalid search query "${query}": ${reason}.`, {
    param: 'query',
    code: 'parameter_invalid_string',
  });
}
