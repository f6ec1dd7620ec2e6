import { type QboErrorDetail, QboFaultError } from '../types.js';

/**
 * Reading QuickBooks `Fault` bodies: `{"Fault":{"Error":[{"Message","Detail","code","element"}],"type"}}`.
 * They arrive with any HTTP status, inside a 200, and per batch item; field case varies between
 * endpoints (`Error`/`error`, `type`/`Type`), so both spellings are read.
 */
export function faultFrom(body: unknown, status: number): QboFaultError | undefined {
  if (!isRecord(body)) return undefined;
  const fault = body.Fault ?? body.fault;
  if (!isRecord(fault)) return undefined;
  const list = fault.Error ?? fault.error;
  const errors: QboErrorDetail[] = (Array.isArray(list) ? list : []).filter(isRecord).map((error) => ({
    code: String(error.code ?? error.Code ?? ''),
    message: String(error.Message ?? error.message ?? ''),
    detail: String(error.Detail ?? error.detail ?? ''),
    element: typeof error.element === 'string' ? error.element : undefined,
  }));
  const type = fault.type ?? fault.Type;
  return new QboFaultError(typeof type === 'string' ? type : 'Fault', errors, status);
}

/** Fault 3001 (throttle exceeded), which QuickBooks sends with 429 and sometimes 403 or 200. */
export function isThrottleFault(fault: QboFaultError): boolean {
  return fault.has('3001');
}

/** Retry-After in milliseconds (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
