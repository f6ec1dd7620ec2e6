import { QueryParseError, queryValidationError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

export type Literal = string | number | boolean;
export type Comparison = '=' | '<' | '>' | '<=' | '>=';

export type Condition =
  | { readonly field: string; readonly op: Comparison; readonly value: Literal }
  | { readonly field: string; readonly op: 'IN'; readonly values: readonly Literal[] }
  | { readonly field: string; readonly op: 'LIKE'; readonly pattern: string };

export interface OrderTerm {
  readonly field: string;
  readonly descending: boolean;
}

export interface ParsedQuery {
  /** As written: QuickBooks entity names are case-sensitive (`Invoice`, not `invoice`). */
  readonly entity: string;
  /** `SELECT COUNT(*)`: only the number of matching objects is wanted. */
  readonly count: boolean;
  /** Conditions joined by AND (the only connective QuickBooks supports). */
  readonly where: readonly Condition[];
  readonly orderBy: readonly OrderTerm[];
  /** 1-based index of the first object to return. */
  readonly startPosition: number;
  /** Page size after clamping to QuickBooks' limit. */
  readonly maxResults: number;
}

export const DEFAULT_MAX_RESULTS = 100;
export const MAX_RESULTS_LIMIT = 1000;

/** Parses QuickBooks' query language; throws QueryParseError with QuickBooks' Fault detail. */
export function parseQuery(text: string): ParsedQuery {
  return new Parser(tokenize(text)).query();
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  query(): ParsedQuery {
    this.keyword('SELECT');
    let count = false;
    if (this.peekKeyword('COUNT')) {
      this.next();
      this.symbol('(');
      this.symbol('*');
      this.symbol(')');
      count = true;
    } else {
      this.symbol('*', ['"*"', '"count"']);
    }
    this.keyword('FROM');
    const entity = this.identifier();
    const where: Condition[] = [];
    if (this.peekKeyword('WHERE')) {
      this.next();
      where.push(this.condition());
      for (;;) {
        if (this.peekKeyword('AND')) {
          this.next();
          where.push(this.condition());
        } else if (this.peekKeyword('OR')) {
          throw queryValidationError('OR operator in query is not supported');
        } else break;
      }
    }
    const orderBy: OrderTerm[] = [];
    if (this.peekKeyword('ORDERBY') || this.peekKeyword('ORDER')) {
      if (this.next().value === 'ORDER') this.keyword('BY');
      for (;;) {
        const field = this.identifier();
        let descending = false;
        if (this.peekKeyword('ASC') || this.peekKeyword('DESC')) descending = this.next().value === 'DESC';
        orderBy.push({ field, descending });
        if (!this.peekSymbol(',')) break;
        this.next();
      }
    }
    let startPosition = 1;
    if (this.peekKeyword('STARTPOSITION')) {
      this.next();
      startPosition = Math.max(1, this.integer());
    }
    let maxResults = DEFAULT_MAX_RESULTS;
    if (this.peekKeyword('MAXRESULTS')) {
      this.next();
      maxResults = Math.min(MAX_RESULTS_LIMIT, Math.max(1, this.integer()));
    }
    if (this.peek().kind !== 'eof') {
      throw this.unexpected(['<EOF>', '<AND>', '"orderby"', '"startposition"', '"maxresults"']);
    }
    return { entity, count, where, orderBy, startPosition, maxResults };
  }

  private condition(): Condition {
    const field = this.identifier();
    const token = this.next();
    if (token.kind === 'keyword' && token.value === 'IN') {
      this.symbol('(');
      const values = [this.literal()];
      while (this.peekSymbol(',')) {
        this.next();
        values.push(this.literal());
      }
      this.symbol(')');
      return { field, op: 'IN', values };
    }
    if (token.kind === 'keyword' && token.value === 'LIKE') {
      const pattern = this.next();
      if (pattern.kind !== 'string') throw this.unexpectedAt(pattern, ['<STRING>']);
      return { field, op: 'LIKE', pattern: pattern.value };
    }
    if (token.kind === 'symbol' && ['=', '<', '>', '<=', '>='].includes(token.value)) {
      return { field, op: token.value as Comparison, value: this.literal() };
    }
    throw this.unexpectedAt(token, ['"="', '"<"', '">"', '"<="', '">="', '"in"', '"like"']);
  }

  private literal(): Literal {
    const token = this.next();
    if (token.kind === 'string') return token.value;
    if (token.kind === 'number') return Number(token.value);
    if (token.kind === 'keyword' && (token.value === 'TRUE' || token.value === 'FALSE')) {
      return token.value === 'TRUE';
    }
    throw this.unexpectedAt(token, ['<STRING>', '<NUMBER>', '"true"', '"false"']);
  }

  private integer(): number {
    const token = this.next();
    if (token.kind !== 'number' || !/^[0-9]+$/.test(token.value))
      throw this.unexpectedAt(token, ['<INTEGER>']);
    return Number(token.value);
  }

  private identifier(): string {
    const token = this.next();
    if (token.kind !== 'identifier') throw this.unexpectedAt(token, ['<IDENTIFIER>']);
    return token.value;
  }

  private keyword(word: string): void {
    const token = this.next();
    if (token.kind !== 'keyword' || token.value !== word) {
      throw this.unexpectedAt(token, [`"${word.toLowerCase()}"`]);
    }
  }

  private symbol(symbol: string, expected = [`"${symbol}"`]): void {
    const token = this.next();
    if (token.kind !== 'symbol' || token.value !== symbol) throw this.unexpectedAt(token, expected);
  }

  private peek(): Token {
    const token = this.tokens[this.index] ?? this.eof();
    if (token.error) throw token.error;
    return token;
  }

  private peekKeyword(word: string): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && token.value === word;
  }

  private peekSymbol(symbol: string): boolean {
    const token = this.peek();
    return token.kind === 'symbol' && token.value === symbol;
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index += 1;
    return token;
  }

  private eof(): Token {
    const last = this.tokens[this.tokens.length - 1];
    return last ?? { kind: 'eof', value: '', image: '<EOF>', column: 1 };
  }

  private unexpected(expected: readonly string[]): QueryParseError {
    return this.unexpectedAt(this.peek(), expected);
  }

  /** JavaCC's wording, which QuickBooks passes through: what came, where, and what could have. */
  private unexpectedAt(token: Token, expected: readonly string[]): QueryParseError {
    const encountered = token.kind === 'eof' ? '"<EOF>"' : `" ${label(token)} "${token.image} ""`;
    const options = expected.map((option) => `    ${option} ...`).join('\n');
    return new QueryParseError(
      `QueryParserError: Encountered ${encountered} at line 1, column ${token.column}.\nWas expecting one of:\n${options}\n    `,
    );
  }
}

function label(token: Token): string {
  switch (token.kind) {
    case 'keyword':
      return `"${token.value.toLowerCase()}"`;
    case 'identifier':
      return '<IDENTIFIER>';
    case 'string':
      return '<STRING>';
    case 'number':
      return '<NUMBER>';
    case 'symbol':
      return `"${token.value}"`;
    case 'eof':
    case 'error':
      return '<EOF>';
  }
}
