import type { Company } from '../kernel/company.js';
import { faults, QboFault } from '../kernel/faults.js';
import { ENTITY_HANDLERS } from '../entities/registry.js';
import type { Json } from '../entities/context.js';
import { parseQuery, QueryParseError, queryValidationError, runQuery } from '../query/index.js';

/**
 * `SELECT … FROM Entity …` over one company: the query module parses and evaluates; this answers
 * `{"QueryResponse":{"Invoice":[…],"startPosition","maxResults"}}` (an empty object when nothing
 * matches, `totalCount` for COUNT(*)) and turns parse errors into Fault 4000/4001.
 */
export function answerQuery(company: Company, text: string | undefined): Json {
  if (text === undefined || text.trim() === '')
    throw faults.queryParse('QueryParserError: Encountered "<EOF>" at line 1, column 0.');
  try {
    const query = parseQuery(text);
    if (!ENTITY_HANDLERS.has(query.entity))
      throw queryValidationError(`Entity '${query.entity}' is not supported`);
    const result = runQuery(query, company.all(query.entity));
    if (query.count) return { QueryResponse: { totalCount: result.totalCount } };
    if (result.rows.length === 0) return { QueryResponse: {} };
    return {
      QueryResponse: {
        [query.entity]: result.rows,
        startPosition: result.startPosition,
        maxResults: result.maxResults,
      },
    };
  } catch (error) {
    if (error instanceof QueryParseError) {
      throw new QboFault(400, 'ValidationFault', [
        { Message: error.message, Detail: error.detail, code: error.code, element: '' },
      ]);
    }
    throw error;
  }
}
