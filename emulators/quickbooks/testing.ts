import type { QuickBooksEmulator } from './server.js';

/**
 * A minimal QuickBooks REST client over real HTTP for the emulator's own tests: what the status
 * and JSON were, nothing interpreted.
 */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface QboTestClient {
  readonly realmId: string;
  readonly token: string;
  post(path: string, body: unknown, query?: Record<string, string>): Promise<Answer>;
  get(path: string, query?: Record<string, string>): Promise<Answer>;
  query(text: string): Promise<Answer>;
  /** Creates and returns the object, failing loudly when QuickBooks refused it. */
  create(entity: string, body: unknown): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function qboClient(
  emulator: QuickBooksEmulator,
  realmId = emulator.realmIds[0] ?? '',
  token?: string,
): QboTestClient {
  const bearer = token ?? emulator.tokenFor(realmId);
  const url = (path: string, query: Record<string, string> = {}) => {
    const search = new URLSearchParams({ minorversion: '75', ...query });
    return `${emulator.url}/v3/company/${realmId}/${path}?${search.toString()}`;
  };
  const send = async (
    method: string,
    path: string,
    body: unknown,
    query?: Record<string, string>,
    type = 'application/json',
  ) => {
    const response = await fetch(url(path, query), {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': type }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  };
  const client: QboTestClient = {
    realmId,
    token: bearer,
    post: (path, body, query) => send('POST', path, body, query),
    get: (path, query) => send('GET', path, undefined, query),
    query: (text) => send('GET', 'query', undefined, { query: text }),
    async create(entity, body) {
      const answer = await client.post(entity.toLowerCase(), body);
      if (answer.status !== 200) throw new Error(`${entity} create failed: ${JSON.stringify(answer.body)}`);
      return answer.body[entity] as Record<string, unknown>;
    },
  };
  return client;
}
