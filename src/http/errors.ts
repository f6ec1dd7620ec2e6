/**
 * The one error type the HTTP layer raises. `type` is a closed union mapped to a status in one place;
 * `code` is the stable machine-readable string clients switch on.
 */
export type AppErrorType =
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable';

export const statusForType: Readonly<Record<AppErrorType, number>> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

export class AppError extends Error {
  constructor(
    readonly type: AppErrorType,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string): AppError =>
  new AppError('not_found', 'resource_missing', `No such ${what}: '${id}'`, { id });

export const invalidField = (field: string, message: string): AppError =>
  new AppError('validation', 'invalid_request', `${field}: ${message}`, [{ field, message }]);

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
