import type { FastifyInstance } from 'fastify';

/** What the person's actions need from the OAuth side: a token for a company, as a signed-in user has. */
export interface TokenMinter {
  mintAccessToken(realmId: string): string;
}

/** One answer of the QuickBooks REST API, as it came back: HTTP status and parsed JSON body. */
export interface QbAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A QuickBooks object as the API returns it; the person's actions read only a few fields. */
export type QbObject = Record<string, unknown> & { Id?: string; SyncToken?: string };

export interface QbFault {
  readonly Error: readonly { Message?: string; Detail?: string; code?: string }[];
  readonly type?: string;
}

export function faultOf(answer: QbAnswer): QbFault | undefined {
  const fault = answer.body['Fault'];
  return fault && typeof fault === 'object' ? (fault as QbFault) : undefined;
}

export function isFailure(answer: QbAnswer): boolean {
  return answer.status >= 400 || faultOf(answer) !== undefined;
}

/** One line a person can read: "code: Message (Detail)" of each error of a Fault. */
export function describeFault(answer: QbAnswer): string {
  const errors = faultOf(answer)?.Error ?? [];
  if (errors.length === 0) return `QuickBooks answered HTTP ${answer.status}`;
  return errors
    .map((error) =>
      [error.code, error.Message, error.Detail && error.Detail !== error.Message ? `(${error.Detail})` : '']
        .filter(Boolean)
        .join(' '),
    )
    .join('; ');
}

/**
 * The emulator's own public REST API, called in process the way a QuickBooks user's browser
 * causes it: with a bearer token for the company, so every validation, SyncToken check, change
 * event and webhook applies exactly as for any API client.
 */
export class QuickBooksClient {
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly app: FastifyInstance,
    private readonly authority: TokenMinter,
  ) {}

  get(realmId: string, path: string): Promise<QbAnswer> {
    return this.send(realmId, 'GET', path);
  }

  post(realmId: string, path: string, payload: Record<string, unknown>): Promise<QbAnswer> {
    return this.send(realmId, 'POST', path, payload);
  }

  /** Reads one object; undefined with the failing answer when QuickBooks refuses. */
  async read(realmId: string, entity: string, id: string): Promise<{ object?: QbObject; answer: QbAnswer }> {
    const answer = await this.get(realmId, `${entity.toLowerCase()}/${encodeURIComponent(id)}`);
    const object = isFailure(answer) ? undefined : (answer.body[entity] as QbObject | undefined);
    return object ? { object, answer } : { answer };
  }

  /** Every object a query selects, page by page (the API serves at most 1000 a page). */
  async queryAll(realmId: string, entity: string, where = ''): Promise<QbObject[] | QbAnswer> {
    const pageSize = 1000;
    const found: QbObject[] = [];
    for (let start = 1; ; start += pageSize) {
      const statement = `SELECT * FROM ${entity}${where ? ` WHERE ${where}` : ''} STARTPOSITION ${start} MAXRESULTS ${pageSize}`;
      const answer = await this.get(realmId, `query?query=${encodeURIComponent(statement)}`);
      if (isFailure(answer)) return answer;
      const response = answer.body['QueryResponse'] as Record<string, unknown> | undefined;
      const page = (response?.[entity] as QbObject[] | undefined) ?? [];
      found.push(...page);
      if (page.length < pageSize) return found;
    }
  }

  private async send(
    realmId: string,
    method: 'GET' | 'POST',
    path: string,
    payload?: Record<string, unknown>,
  ): Promise<QbAnswer> {
    let answer = await this.inject(realmId, method, path, payload, false);
    // The cached token may have expired (the emulator's clock moves); sign in again once.
    if (answer.status === 401) answer = await this.inject(realmId, method, path, payload, true);
    return answer;
  }

  private async inject(
    realmId: string,
    method: 'GET' | 'POST',
    path: string,
    payload: Record<string, unknown> | undefined,
    freshToken: boolean,
  ): Promise<QbAnswer> {
    let token = this.tokens.get(realmId);
    if (!token || freshToken) {
      token = this.authority.mintAccessToken(realmId);
      this.tokens.set(realmId, token);
    }
    const response = await this.app.inject({
      method,
      url: `/v3/company/${encodeURIComponent(realmId)}/${path}`,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(response.body);
      body = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { value: parsed };
    } catch {
      body = { Fault: { Error: [{ Message: response.body.slice(0, 500) }], type: 'SystemFault' } };
    }
    return { status: response.statusCode, body };
  }
}
