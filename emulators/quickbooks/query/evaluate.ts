import { queryValidationError } from './errors.js';
import type { Condition, Literal, ParsedQuery } from './parser.js';

export interface QueryResult {
  /** The page asked for, in order. Empty for COUNT(*). */
  rows: Record<string, unknown>[];
  startPosition: number;
  /** As QuickBooks reports it: how many objects this page holds, not the page size asked for. */
  maxResults: number;
  /** How many objects match the conditions, all pages together (COUNT(*)'s answer). */
  totalCount: number;
}

type Scalar = string | number | boolean;
const NOT_QUERYABLE = Symbol('not queryable');

/**
 * Runs a parsed query over one entity's objects (one company's). Odd behaviours kept from
 * QuickBooks: objects with `Active: false` (customers, items, accounts…) are left out unless a
 * condition names `Active`; a reference (`CustomerRef`) compares its `value` and an e-mail
 * (`PrimaryEmailAddr`) its `Address`; string comparisons ignore case; date-times compare as
 * instants whatever their offset. Without ORDERBY objects come by Id, ascending.
 */
export function runQuery(query: ParsedQuery, rows: readonly Record<string, unknown>[]): QueryResult {
  const fields = [...query.where.map((c) => c.field), ...query.orderBy.map((o) => o.field)];
  for (const row of rows) {
    for (const field of fields) {
      if (resolve(row, field) === NOT_QUERYABLE)
        throw queryValidationError(`property '${field}' is not queryable`);
    }
  }
  const namesActive = query.where.some((condition) => condition.field === 'Active');
  const matching = rows.filter(
    (row) =>
      (namesActive || row.Active !== false) && query.where.every((condition) => matches(row, condition)),
  );
  const sorted = [...matching].sort((a, b) => {
    for (const term of query.orderBy) {
      const order = compareValues(scalar(a, term.field), scalar(b, term.field));
      if (order !== 0) return term.descending ? -order : order;
    }
    return compareValues(scalar(a, 'Id'), scalar(b, 'Id'));
  });
  if (query.count) {
    return { rows: [], startPosition: query.startPosition, maxResults: 0, totalCount: matching.length };
  }
  const start = query.startPosition - 1;
  const page = sorted.slice(start, start + query.maxResults);
  return {
    rows: page,
    startPosition: query.startPosition,
    maxResults: page.length,
    totalCount: matching.length,
  };
}

function matches(row: Record<string, unknown>, condition: Condition): boolean {
  const value = scalar(row, condition.field);
  if (value === undefined) return false;
  switch (condition.op) {
    case 'IN':
      return condition.values.some((literal) => compareValues(value, literal) === 0);
    case 'LIKE':
      return likePattern(condition.pattern).test(String(value));
    case '=':
      return compareValues(value, condition.value) === 0;
    case '<':
      return compareValues(value, condition.value) < 0;
    case '>':
      return compareValues(value, condition.value) > 0;
    case '<=':
      return compareValues(value, condition.value) <= 0;
    case '>=':
      return compareValues(value, condition.value) >= 0;
  }
}

function scalar(row: Record<string, unknown>, path: string): Scalar | undefined {
  const value = resolve(row, path);
  return value === NOT_QUERYABLE ? undefined : value;
}

/** The comparable value at a dotted path; NOT_QUERYABLE for lists and objects with no single value. */
function resolve(row: Record<string, unknown>, path: string): Scalar | undefined | typeof NOT_QUERYABLE {
  let current: unknown = row;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  if (current === null || current === undefined) return undefined;
  if (Array.isArray(current)) return NOT_QUERYABLE;
  if (typeof current === 'object') {
    const object = current as Record<string, unknown>;
    const inner = 'value' in object ? object.value : 'Address' in object ? object.Address : NOT_QUERYABLE;
    if (inner === NOT_QUERYABLE) return NOT_QUERYABLE;
    return isScalar(inner) ? inner : undefined;
  }
  return isScalar(current) ? current : undefined;
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

const NUMERIC = /^-?[0-9]+(?:\.[0-9]+)?$/;
const DATE_LIKE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:$|T)/;

/**
 * Orders two values the way QuickBooks' comparisons do: numbers (and numeric strings such as Ids)
 * numerically, dates and date-times by instant, booleans false < true, other text ignoring case.
 * A missing value sorts first. Values of kinds that cannot be compared count as different.
 */
export function compareValues(a: Scalar | undefined, b: Literal | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const left = toBoolean(a);
    const right = toBoolean(b);
    if (left === undefined || right === undefined) return String(a) < String(b) ? -1 : 1;
    return Number(left) - Number(right);
  }
  const left = String(a);
  const right = String(b);
  if ((typeof a === 'number' || NUMERIC.test(left)) && (typeof b === 'number' || NUMERIC.test(right))) {
    return Math.sign(Number(left) - Number(right));
  }
  if (DATE_LIKE.test(left) && DATE_LIKE.test(right)) {
    const l = instant(left);
    const r = instant(right);
    if (!Number.isNaN(l) && !Number.isNaN(r)) return Math.sign(l - r);
  }
  const l = left.toLowerCase();
  const r = right.toLowerCase();
  return l < r ? -1 : l > r ? 1 : 0;
}

/** A date alone is that day's start; a date-time without an offset is read as UTC. */
function instant(text: string): number {
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return Date.parse(`${text}T00:00:00Z`);
  const hasOffset = /(?:Z|[+-][0-9]{2}:?[0-9]{2})$/i.test(text);
  return Date.parse(hasOffset ? text : `${text}Z`);
}

function toBoolean(value: Scalar): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : undefined;
}

/** LIKE knows only `%` (any run of characters); everything else, `_` included, is literal. */
function likePattern(pattern: string): RegExp {
  const source = pattern
    .split('%')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'is');
}
