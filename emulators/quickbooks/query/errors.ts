/**
 * A query QuickBooks refuses, carrying what its Fault shows: `code` 4000 "Error parsing query"
 * (the text does not follow the grammar) or 4001 "Invalid query" (it parses but asks for something
 * unsupported, such as a property that is not queryable). `detail` is the Fault's `Detail`.
 */
export class QueryParseError extends Error {
  readonly detail: string;
  readonly code: '4000' | '4001';

  constructor(detail: string, code: '4000' | '4001' = '4000') {
    super(code === '4000' ? 'Error parsing query' : 'Invalid query');
    this.name = 'QueryParseError';
    this.detail = detail;
    this.code = code;
  }
}

/** A 4001 "Invalid query" in QuickBooks' `QueryValidationError: …` wording. */
export function queryValidationError(reason: string): QueryParseError {
  return new QueryParseError(`QueryValidationError: ${reason}`, '4001');
}
