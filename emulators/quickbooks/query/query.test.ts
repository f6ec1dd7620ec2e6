import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery, QueryParseError, runQuery } from './index.js';

const customers: Record<string, unknown>[] = [
  {
    Id: '10',
    DisplayName: "Cutlery 'R Us",
    Active: true,
    Balance: 250.5,
    PrimaryEmailAddr: { Address: 'cut@example.com' },
    CurrencyRef: { value: 'CAD', name: 'Canadian Dollar' },
    MetaData: { LastUpdatedTime: '2026-03-01T10:00:00-08:00' },
  },
  {
    Id: '2',
    DisplayName: 'Amy Apples',
    Active: true,
    Balance: 0,
    PrimaryEmailAddr: { Address: 'amy@example.com' },
    CurrencyRef: { value: 'USD' },
    MetaData: { LastUpdatedTime: '2026-03-01T17:30:00Z' },
  },
  {
    Id: '3',
    DisplayName: 'Old Customer',
    Active: false,
    Balance: 12,
    CurrencyRef: { value: 'USD' },
    MetaData: { LastUpdatedTime: '2025-12-31T23:00:00Z' },
  },
];

const ids = (text: string, rows = customers) => runQuery(parseQuery(text), rows).rows.map((row) => row.Id);

const parseError = (text: string): QueryParseError => {
  try {
    parseQuery(text);
  } catch (error) {
    if (error instanceof QueryParseError) return error;
    throw error;
  }
  throw new Error(`parsed: ${text}`);
};

describe('QuickBooks query language', () => {
  it('parses keywords in any case and keeps the entity as written', () => {
    expect(
      parseQuery(
        "select * from Invoice where TxnDate >= '2026-01-01' AND CustomerRef IN ('1', '2') order by TxnDate desc, Id STARTPOSITION 5 maxresults 20",
      ),
    ).toEqual({
      entity: 'Invoice',
      count: false,
      where: [
        { field: 'TxnDate', op: '>=', value: '2026-01-01' },
        { field: 'CustomerRef', op: 'IN', values: ['1', '2'] },
      ],
      orderBy: [
        { field: 'TxnDate', descending: true },
        { field: 'Id', descending: false },
      ],
      startPosition: 5,
      maxResults: 20,
    });
    expect(parseQuery('SELECT COUNT(*) FROM customer')).toMatchObject({ entity: 'customer', count: true });
  });

  it('defaults to 100 objects from position 1 and clamps MAXRESULTS to 1000', () => {
    expect(parseQuery('SELECT * FROM Item')).toMatchObject({ startPosition: 1, maxResults: 100 });
    expect(parseQuery('SELECT * FROM Item MAXRESULTS 5000').maxResults).toBe(1000);
  });

  it('filters with =, <, >, IN and LIKE, comparing refs by value and e-mails by Address', () => {
    expect(ids("SELECT * FROM Customer WHERE DisplayName = 'Cutlery \\'R Us'")).toEqual(['10']);
    expect(ids("SELECT * FROM Customer WHERE DisplayName = 'amy apples'")).toEqual(['2']);
    expect(ids("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'amy@example.com'")).toEqual(['2']);
    expect(ids("SELECT * FROM Customer WHERE CurrencyRef = 'CAD'")).toEqual(['10']);
    expect(ids("SELECT * FROM Customer WHERE CurrencyRef.value = 'USD'")).toEqual(['2']);
    expect(ids('SELECT * FROM Customer WHERE Balance > 0')).toEqual(['10']);
    expect(ids("SELECT * FROM Customer WHERE Balance <= '0.0'")).toEqual(['2']);
    expect(ids("SELECT * FROM Customer WHERE Id IN ('2', '10', '99')")).toEqual(['2', '10']);
    expect(ids("SELECT * FROM Customer WHERE DisplayName LIKE '%apple%'")).toEqual(['2']);
    expect(ids("SELECT * FROM Customer WHERE DisplayName LIKE 'Amy_Apples'")).toEqual([]);
  });

  it('leaves inactive objects out unless a condition names Active', () => {
    expect(ids('SELECT * FROM Customer')).toEqual(['2', '10']);
    expect(ids('SELECT * FROM Customer WHERE Active = false')).toEqual(['3']);
    expect(ids('SELECT * FROM Customer WHERE Active IN (true, false)')).toEqual(['2', '3', '10']);
  });

  it('compares date-times as instants whatever their offsets', () => {
    // 10:00-08:00 is 18:00Z, after 17:30Z.
    expect(ids("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2026-03-01T17:45:00Z'")).toEqual([
      '10',
    ]);
    expect(ids("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime = '2026-03-01T18:00:00.000Z'")).toEqual(
      ['10'],
    );
    expect(ids('SELECT * FROM Customer ORDERBY MetaData.LastUpdatedTime DESC')).toEqual(['10', '2']);
    expect(ids("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime >= '2026-03-01'")).toEqual(['2', '10']);
  });

  it('orders by Id numerically by default, and by the fields asked for', () => {
    expect(ids('SELECT * FROM Customer WHERE Active IN (true, false)')).toEqual(['2', '3', '10']);
    expect(ids('SELECT * FROM Customer ORDERBY DisplayName')).toEqual(['2', '10']);
    expect(ids('SELECT * FROM Customer ORDER BY Balance DESC')).toEqual(['10', '2']);
  });

  it('answers COUNT(*) with the number of matches and no rows, ignoring paging', () => {
    const result = runQuery(parseQuery('SELECT COUNT(*) FROM Customer MAXRESULTS 1'), customers);
    expect(result).toEqual({ rows: [], startPosition: 1, maxResults: 0, totalCount: 2 });
  });

  it('refuses what QuickBooks refuses, with its Fault detail', () => {
    const unescaped = parseError("SELECT * FROM Vendor WHERE DisplayName = 'Cutlery 'R Us'");
    expect(unescaped.code).toBe('4000');
    expect(unescaped.message).toBe('Error parsing query');
    expect(unescaped.detail).toMatch(
      /^QueryParserError: Encountered " <IDENTIFIER> "R "" at line 1, column 52\./,
    );
    expect(parseError('SELECT Id, DisplayName FROM Customer').detail).toContain('column 8');
    expect(parseError('SELECT * FROM Customer GROUP BY Id').detail).toContain('"GROUP "');
    expect(parseError("SELECT * FROM Customer WHERE DisplayName != 'x'").detail).toContain('"!="');
    expect(parseError('SELECT * FROM Customer WHERE').detail).toContain(
      'Encountered "<EOF>" at line 1, column 29.',
    );
    expect(parseError('SELECT * FROM Customer WHERE Balance > 1 ; ').detail).toMatch(
      /^QueryParserError: Invalid content\. Lexical error at line 1, column 42\./,
    );
    const or = parseError("SELECT * FROM Customer WHERE Id = '1' OR Id = '2'");
    expect([or.code, or.message]).toEqual(['4001', 'Invalid query']);
    expect(() => runQuery(parseQuery('SELECT * FROM Customer WHERE MetaData = 1'), customers)).toThrow(
      expect.objectContaining({
        code: '4001',
        detail: "QueryValidationError: property 'MetaData' is not queryable",
      }),
    );
  });

  const rowsArb = fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 60 }).chain((idList) =>
    fc.tuple(
      ...idList.map((id) =>
        fc.record({
          Id: fc.constant(String(id)),
          Balance: fc.integer({ min: -50, max: 50 }),
          DocNumber: fc.stringMatching(/^[a-c]{0,3}$/),
        }),
      ),
    ),
  );

  it('pages through every matching object exactly once, in a stable order', () => {
    fc.assert(
      fc.property(rowsArb, fc.integer({ min: 1, max: 7 }), fc.boolean(), (rows, pageSize, byDocNumber) => {
        const order = byDocNumber ? ' ORDERBY DocNumber DESC' : '';
        const seen: unknown[] = [];
        for (let start = 1; ; start += pageSize) {
          const page = runQuery(
            parseQuery(
              `SELECT * FROM Invoice WHERE Balance >= 0${order} STARTPOSITION ${start} MAXRESULTS ${pageSize}`,
            ),
            rows,
          );
          expect(page.maxResults).toBe(page.rows.length);
          seen.push(...page.rows.map((row) => row.Id));
          if (page.rows.length < pageSize) break;
        }
        const expected = rows.filter((row) => row.Balance >= 0).map((row) => row.Id);
        expect([...seen].sort()).toEqual([...expected].sort());
        expect(new Set(seen).size).toBe(seen.length);
      }),
    );
  });

  it('counts exactly the objects a SELECT with the same conditions returns', () => {
    fc.assert(
      fc.property(
        rowsArb,
        fc.integer({ min: -50, max: 50 }),
        fc.constantFrom('<', '>', '=', '<=', '>='),
        (rows, n, op) => {
          const where = `WHERE Balance ${op} ${n}`;
          const counted = runQuery(parseQuery(`SELECT COUNT(*) FROM Invoice ${where}`), rows).totalCount;
          const selected = runQuery(parseQuery(`SELECT * FROM Invoice ${where} MAXRESULTS 1000`), rows).rows;
          const expected = rows.filter((row) =>
            op === '<'
              ? row.Balance < n
              : op === '>'
                ? row.Balance > n
                : op === '='
                  ? row.Balance === n
                  : op === '<='
                    ? row.Balance <= n
                    : row.Balance >= n,
          );
          expect(counted).toBe(expected.length);
          expect(selected.map((row) => row.Id).sort()).toEqual(expected.map((row) => row.Id).sort());
        },
      ),
    );
  });

  it('round-trips any string through a quoted, escaped literal', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const quoted = value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
        const parsed = parseQuery(`SELECT * FROM Customer WHERE DisplayName = '${quoted}'`);
        expect(parsed.where[0]).toEqual({ field: 'DisplayName', op: '=', value });
      }),
    );
  });
});
