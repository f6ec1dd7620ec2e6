import { describeError } from '../../../jobs/errors.js';
import {
  QboFaultError,
  type QboObject,
  QboThrottledError,
  QboUncertainError,
  type QuickBooksSettings,
} from '../types.js';
import { faultFrom, isThrottleFault, retryAfterMs } from './faults.js';

/** Where the client gets its bearer token; the connection refreshes it (connection/session.ts). */
export interface QboTokenSource {
  /** An access token believed valid now. */
  accessToken(): Promise<string>;
  /**
   * The API answered 401 to `rejected`: refresh (unless another worker already replaced it) and
   * answer the new token. Throws QboReauthorizationRequiredError when the grant is gone.
   */
  renewAfterRejection(rejected: string): Promise<string>;
}

export interface QboRequest {
  readonly method: 'GET' | 'POST';
  /** Below `/v3/company/{realmId}/`, e.g. `invoice`, `invoice/42`, `query`. */
  readonly path: string;
  readonly params?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
}

/** Without a Retry-After header, Intuit asks clients to wait 60 s after a throttle. */
export const DEFAULT_THROTTLE_WAIT_MS = 60_000;

/**
 * One realm's HTTP transport: the URL, `minorversion`, headers, timeout, and the translation of every
 * failure into the contract's error classes. A 401 is answered once by refreshing the token.
 */
export class QboTransport {
  private callCount = 0;

  constructor(
    readonly settings: Pick<QuickBooksSettings, 'apiBase' | 'minorVersion' | 'timeoutMs'>,
    readonly realmId: string,
    private readonly tokens: QboTokenSource,
    private readonly now: () => number = Date.now,
  ) {}

  get calls(): number {
    return this.callCount;
  }

  /** The parsed JSON answer of a successful request (a Fault inside a 200 still throws). */
  async send(request: QboRequest): Promise<Record<string, unknown>> {
    let token = await this.tokens.accessToken();
    let response = await this.fetchOnce(request, token);
    if (response.status === 401) {
      token = await this.tokens.renewAfterRejection(token);
      response = await this.fetchOnce(request, token);
    }
    return this.interpret(response);
  }

  private url(request: QboRequest): string {
    const query = new URLSearchParams({ minorversion: String(this.settings.minorVersion) });
    for (const [key, value] of Object.entries(request.params ?? {})) {
      if (value !== undefined) query.set(key, value);
    }
    return `${this.settings.apiBase}/v3/company/${encodeURIComponent(this.realmId)}/${request.path}?${query.toString()}`;
  }

  private async fetchOnce(
    request: QboRequest,
    token: string,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    this.callCount += 1;
    try {
      const response = await fetch(this.url(request), {
        method: request.method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      // A timeout or a dropped connection: QuickBooks may have acted on the request.
      throw new QboUncertainError(
        `QuickBooks ${request.method} ${request.path.split('?')[0] ?? ''} got no answer: ${describeError(error)}`,
      );
    }
  }

  private interpret(response: { status: number; headers: Headers; text: string }): Record<string, unknown> {
    const { status } = response;
    const body = parseJson(response.text);
    const fault = faultFrom(body, status);
    if (status === 429 || (fault && isThrottleFault(fault))) {
      const wait = retryAfterMs(response.headers.get('retry-after'), this.now());
      throw new QboThrottledError(wait ?? DEFAULT_THROTTLE_WAIT_MS);
    }
    if (status >= 500) {
      throw new QboUncertainError(
        `QuickBooks answered ${status}${fault ? `: ${fault.message}` : ''}; the request may have taken effect`,
      );
    }
    if (fault) throw fault;
    if (status < 200 || status >= 300 || body === undefined) {
      throw new QboFaultError(
        'HttpError',
        [
          {
            code: String(status),
            message: `QuickBooks answered HTTP ${status}`,
            detail: response.text.slice(0, 200),
          },
        ],
        status,
      );
    }
    return body;
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The object of `entity` in an answer (`{"Invoice":{…},"time":…}`). */
export function entityOf(body: Record<string, unknown>, entity: string): QboObject {
  const object = body[entity];
  if (typeof object !== 'object' || object === null) {
    throw new QboUncertainError(`QuickBooks answered without the ${entity}`);
  }
  return object as QboObject;
}
