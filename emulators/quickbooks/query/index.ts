/**
 * QuickBooks Online's query language, pure: `parseQuery` turns the text of `GET …/query?query=`
 * into a ParsedQuery (or throws QueryParseError carrying the Fault QuickBooks would answer), and
 * `runQuery` applies it to one entity's objects of one company.
 */
export { QueryParseError, queryValidationError } from './errors.js';
export {
  parseQuery,
  DEFAULT_MAX_RESULTS,
  MAX_RESULTS_LIMIT,
  type ParsedQuery,
  type Condition,
  type Comparison,
  type Literal,
  type OrderTerm,
} from './parser.js';
export { runQuery, compareValues, type QueryResult } from './evaluate.js';
