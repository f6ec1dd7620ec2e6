import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QboFaultError, QboThrottledError, QboUncertainError } from '../types.js';
import { QboHttpClient } from './client.js';
import { QboTransport, type QboTokenSource } from './http.js';

/**
 * The client over real HTTP against a scripted peer: each test says what "QuickBooks" answers and
 * checks what the client sent. The emulator (emulators/quickbooks) covers the happy paths end to
 * end; this peer produces the failures an emulator rarely does on demand (5xx, hangs, odd faults).
 */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}
type Answer = { status?: number; headers?: Record<string, string>; body?: unknown; hang?: boolean };

let server: Server;
let base: string;
let seen: Seen[] = [];
let answer: (request: Seen) => Answer = () => ({ body: {} });

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://peer');
      const text = Buffer.concat(chunks).toString('utf8');
      const entry: Seen = {
        method: request.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      };
      seen.push(entry);
      const reply = answer(entry);
      if (reply.hang) return;
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen = [];
});

/** Tokens `t1`, then `t2` after a 401; records what was rejected. */
function tokens() {
  const rejected: string[] = [];
  let current = 't1';
  const source: QboTokenSource = {
    accessToken: async () => current,
    renewAfterRejection: async (token) => {
      rejected.push(token);
      current = `t${Number(current.slice(1)) + 1}`;
      return current;
    },
  };
  return { source, rejected };
}

function client(timeoutMs = 5_000) {
  const { source, rejected } = tokens();
  const transport = new QboTransport({ apiBase: base, minorVersion: 75, timeoutMs }, '9130', source);
  return { qbo: new QboHttpClient(transport), rejected };
}

const fault = (code: string, type = 'ValidationFault') => ({
  Fault: { Error: [{ Message: `m${code}`, Detail: `d${code}`, code, element: 'X' }], type },
  time: '2026-01-01T00:00:00Z',
});

describe('QboHttpClient', () => {
  it('creates with minorversion, requestid, JSON and the bearer token, and answers the entity', async () => {
    answer = () => ({ body: { Customer: { Id: '7', SyncToken: '0', DisplayName: 'Ada' }, time: 'x' } });
    const { qbo } = client();
    const created = await qbo.create('Customer', { DisplayName: 'Ada' }, { requestId: 'lb-contact-1' });
    expect(created).toMatchObject({ Id: '7', DisplayName: 'Ada' });
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v3/company/9130/customer');
    expect(request?.query.get('minorversion')).toBe('75');
    expect(request?.query.get('requestid')).toBe('lb-contact-1');
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.authorization).toBe('Bearer t1');
    expect(request?.body).toEqual({ DisplayName: 'Ada' });
    expect(qbo.calls).toBe(1);
  });

  it('reads a Fault inside an HTTP 200 as QboFaultError, and a 610 read as not found', async () => {
    answer = () => ({ body: fault('6240') });
    const { qbo } = client();
    const error = await qbo.create('Customer', { DisplayName: 'Ada' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QboFaultError);
    expect((error as QboFaultError).has('6240')).toBe(true);
    expect((error as QboFaultError).errors[0]).toEqual({
      code: '6240',
      message: 'm6240',
      detail: 'd6240',
      element: 'X',
    });
    answer = () => ({ status: 400, body: fault('610') });
    expect(await qbo.read('Invoice', '99')).toBeUndefined();
    expect(seen[1]?.path).toBe('/v3/company/9130/invoice/99');
  });

  it('turns 429 and Fault 3001 into QboThrottledError, honouring Retry-After', async () => {
    const { qbo } = client();
    answer = () => ({ status: 429, headers: { 'retry-after': '7' }, body: fault('3001', 'SERVICE') });
    await expect(qbo.query('SELECT * FROM Invoice')).rejects.toMatchObject({ retryAfterMs: 7_000 });
    answer = () => ({ status: 403, body: fault('3001', 'SERVICE') });
    const error = await qbo.query('SELECT * FROM Invoice').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QboThrottledError);
    expect((error as QboThrottledError).retryAfterMs).toBe(60_000);
  });

  it('reports 5xx, timeouts and refused connections as uncertain', async () => {
    answer = () => ({ status: 503, body: 'upstream down' });
    await expect(client().qbo.create('Invoice', {})).rejects.toBeInstanceOf(QboUncertainError);
    answer = () => ({ hang: true });
    await expect(client(200).qbo.read('Invoice', '1')).rejects.toBeInstanceOf(QboUncertainError);
    const { source } = tokens();
    const nowhere = new QboHttpClient(
      new QboTransport({ apiBase: 'http://127.0.0.1:1', minorVersion: 75, timeoutMs: 2_000 }, '1', source),
    );
    await expect(nowhere.read('Invoice', '1')).rejects.toBeInstanceOf(QboUncertainError);
  });

  it('answers a 401 by renewing the token once and retrying; a second 401 is a fault', async () => {
    answer = (request) =>
      request.headers.authorization === 'Bearer t2'
        ? { body: { Invoice: { Id: '1' } } }
        : { status: 401, body: fault('3200', 'AUTHENTICATION') };
    const { qbo, rejected } = client();
    expect(await qbo.read('Invoice', '1')).toEqual({ Id: '1' });
    expect(rejected).toEqual(['t1']);
    expect(qbo.calls).toBe(2);
    answer = () => ({ status: 401, body: fault('3200', 'AUTHENTICATION') });
    await expect(qbo.read('Invoice', '1')).rejects.toBeInstanceOf(QboFaultError);
    expect(rejected).toEqual(['t1', 't2']);
  });

  it('sends sparse updates, deletes, and voids payments by update with include=void', async () => {
    answer = (request) => ({
      body: { [request.path.endsWith('payment') ? 'Payment' : 'Invoice']: { Id: '5' } },
    });
    const { qbo } = client();
    await qbo.update('Invoice', { Id: '5', SyncToken: '2', DueDate: '2026-02-01' });
    expect(seen[0]?.body).toEqual({ Id: '5', SyncToken: '2', DueDate: '2026-02-01', sparse: true });
    await qbo.update('Invoice', { Id: '5', SyncToken: '3', sparse: false });
    expect(seen[1]?.body).toMatchObject({ sparse: false });
    await qbo.void('Invoice', { Id: '5', SyncToken: '4' });
    expect(seen[2]?.query.get('operation')).toBe('void');
    await qbo.void('Payment', { Id: '5', SyncToken: '1' });
    expect([seen[3]?.query.get('operation'), seen[3]?.query.get('include')]).toEqual(['update', 'void']);
    expect(seen[3]?.body).toEqual({ Id: '5', SyncToken: '1', sparse: true });
    await qbo.delete('Invoice', { Id: '5', SyncToken: '5' }, { requestId: 'del-5' });
    expect([seen[4]?.query.get('operation'), seen[4]?.query.get('requestid')]).toEqual(['delete', 'del-5']);
  });

  it('answers query rows (none: empty) and count totalCount', async () => {
    answer = (request) =>
      request.query.get('query')?.startsWith('SELECT COUNT')
        ? { body: { QueryResponse: { totalCount: 42 } } }
        : request.query.get('query')?.includes('Customer')
          ? { body: { QueryResponse: {} } }
          : {
              body: {
                QueryResponse: { Invoice: [{ Id: '1' }, { Id: '2' }], startPosition: 1, maxResults: 2 },
              },
            };
    const { qbo } = client();
    expect(await qbo.query("SELECT * FROM Invoice WHERE DocNumber = 'A-1'")).toEqual([
      { Id: '1' },
      { Id: '2' },
    ]);
    expect(seen[0]?.query.get('query')).toBe("SELECT * FROM Invoice WHERE DocNumber = 'A-1'");
    expect(await qbo.query('SELECT * FROM Customer')).toEqual([]);
    expect(await qbo.count('SELECT COUNT(*) FROM Invoice')).toBe(42);
  });

  it('maps batch items by bId, in request order, with per-item faults', async () => {
    answer = () => ({
      body: {
        BatchItemResponse: [
          { bId: 'q', QueryResponse: { Item: [{ Id: '3' }], totalCount: 1 } },
          { bId: 'bad', ...fault('6140') },
          { bId: 'ok', Invoice: { Id: '9' } },
        ],
      },
    });
    const { qbo } = client();
    const results = await qbo.batch([
      { bId: 'ok', operation: 'create', entity: 'Invoice', body: { DocNumber: 'A-1' } },
      { bId: 'bad', operation: 'create', entity: 'Invoice', body: { DocNumber: 'A-1' } },
      { bId: 'q', query: 'SELECT * FROM Item' },
    ]);
    expect(seen[0]?.body).toEqual({
      BatchItemRequest: [
        { bId: 'ok', operation: 'create', Invoice: { DocNumber: 'A-1' } },
        { bId: 'bad', operation: 'create', Invoice: { DocNumber: 'A-1' } },
        { bId: 'q', Query: 'SELECT * FROM Item' },
      ],
    });
    expect(results[0]).toEqual({ bId: 'ok', entity: 'Invoice', object: { Id: '9' } });
    const failed = results[1];
    expect(failed && 'fault' in failed && failed.fault.has('6140')).toBe(true);
    expect(results[2]).toEqual({ bId: 'q', rows: [{ Id: '3' }], totalCount: 1 });
  });

  it('flattens CDC answers per entity, deleted objects included', async () => {
    answer = () => ({
      body: {
        CDCResponse: [
          {
            QueryResponse: [
              { Invoice: [{ Id: '1' }, { Id: '2', status: 'Deleted' }], startPosition: 1 },
              { Customer: [{ Id: '8' }] },
            ],
          },
        ],
      },
    });
    const { qbo } = client();
    const since = new Date('2026-01-02T03:04:05.000Z');
    const changes = await qbo.cdc(['Invoice', 'Customer', 'Payment'], since);
    expect(changes).toEqual({
      Invoice: [{ Id: '1' }, { Id: '2', status: 'Deleted' }],
      Customer: [{ Id: '8' }],
      Payment: [],
    });
    expect(seen[0]?.query.get('entities')).toBe('Invoice,Customer,Payment');
    expect(seen[0]?.query.get('changedSince')).toBe('2026-01-02T03:04:05.000Z');
  });
});
