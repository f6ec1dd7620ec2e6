import { QueryParseError } from './errors.js';

export type TokenKind = 'keyword' | 'identifier' | 'string' | 'number' | 'symbol' | 'eof' | 'error';

export interface Token {
  readonly kind: TokenKind;
  /** Keywords upper-cased; strings unescaped; everything else as written. */
  readonly value: string;
  /** The text as it appeared, for error messages. */
  readonly image: string;
  /** 1-based column of the token's first character (queries are one line). */
  readonly column: number;
  /** For `error`: the lexical error, raised only when the parser reaches it (as JavaCC does). */
  readonly error?: QueryParseError;
}

/** Words the grammar reserves; matched case-insensitively, as QuickBooks does. */
const KEYWORDS = new Set([
  'SELECT',
  'COUNT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'IN',
  'LIKE',
  'ORDER',
  'ORDERBY',
  'BY',
  'ASC',
  'DESC',
  'STARTPOSITION',
  'MAXRESULTS',
  'TRUE',
  'FALSE',
]);

const SYMBOLS = ['<=', '>=', '!=', '<>', '=', '<', '>', '(', ')', ',', '*'];

/**
 * Splits a query into tokens; a character no token can start with ends the list with an `error`
 * token, so a grammar error before it is the one reported. A dotted path (`MetaData.LastUpdatedTime`) is one identifier.
 * Strings are single-quoted, with `\'` for a quote inside and `\\` for a backslash.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  try {
    scan(text, tokens);
  } catch (error) {
    if (!(error instanceof QueryParseError)) throw error;
    tokens.push({ kind: 'error', value: '', image: '', column: 0, error });
    return tokens;
  }
  tokens.push({ kind: 'eof', value: '', image: '<EOF>', column: text.length + 1 });
  return tokens;
}

function scan(text: string, tokens: Token[]): void {
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    if (/\s/.test(char)) {
      i += 1;
      continue;
    }
    const column = i + 1;
    if (/[A-Za-z_]/.test(char)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(text.slice(i))?.[0] ?? char;
      const upper = word.toUpperCase();
      tokens.push(
        KEYWORDS.has(upper)
          ? { kind: 'keyword', value: upper, image: word, column }
          : { kind: 'identifier', value: word, image: word, column },
      );
      i += word.length;
      continue;
    }
    if (/[0-9]/.test(char) || (char === '-' && /[0-9]/.test(text.charAt(i + 1)))) {
      const number = /^-?[0-9]+(?:\.[0-9]+)?/.exec(text.slice(i))?.[0] ?? char;
      tokens.push({ kind: 'number', value: number, image: number, column });
      i += number.length;
      continue;
    }
    if (char === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw lexicalError(column, "'", '');
        const c = text.charAt(j);
        if (c === '\\' && j + 1 < text.length) {
          value += text.charAt(j + 1);
          j += 2;
        } else if (c === "'") {
          j += 1;
          break;
        } else {
          value += c;
          j += 1;
        }
      }
      tokens.push({ kind: 'string', value, image: text.slice(i, j), column });
      i = j;
      continue;
    }
    const symbol = SYMBOLS.find((candidate) => text.startsWith(candidate, i));
    if (symbol === undefined) throw lexicalError(column, char, '');
    tokens.push({ kind: 'symbol', value: symbol, image: symbol, column });
    i += symbol.length;
  }
}

/** QuickBooks' wording for a character no token can start with (its parser is JavaCC-generated). */
function lexicalError(column: number, char: string, after: string): QueryParseError {
  return new QueryParseError(
    `QueryParserError: Invalid content. Lexical error at line 1, column ${column}.  Encountered: "${char}" (${char.charCodeAt(0)}), after : "${after}"`,
  );
}
