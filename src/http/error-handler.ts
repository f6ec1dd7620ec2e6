import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { DomainError } from '../domain/errors.js';
import { AppError, type ErrorBody, statusForType } from './errors.js';

/** Domain rule violations answer 409 when they are about state, 400/422 when about the input. */
const domainStatus: Readonly<Record<string, number>> = {
  illegal_transition: 409,
  overpayment: 422,
  refund_exceeds_payment: 422,
  currency_mismatch: 400,
  invalid_amount: 400,
  invalid_decimal: 400,
  unknown_currency: 400,
  invoice_math: 422,
};

// PostgreSQL error codes that mean the request, not the server, was wrong.
const PG_UNIQUE_VIOLATION = '23505';
const PG_FOREIGN_KEY_VIOLATION = '23503';
const PG_CHECK_VIOLATION = '23514';

/** The single place an error becomes an HTTP answer: `{"error":{"code","message","details"}}`. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const [status, body] = toResponse(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: body.error.code, status }, body.error.message);
  void reply.status(status).send(body);
}

function toResponse(error: FastifyError): [number, ErrorBody] {
  if (error instanceof AppError) {
    return [statusForType[error.type], body(error.code, error.message, error.details)];
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'body';
    const details = error.validation.map((issue) => ({
      field: fieldName(where, issue.instancePath),
      message: issue.message ?? 'is invalid',
    }));
    const first = details[0];
    const message = first ? `${first.field}: ${first.message}` : 'The request is invalid';
    return [400, body('invalid_request', message, details)];
  }
  if (error instanceof DomainError) {
    return [domainStatus[error.code] ?? 400, body(error.code, error.message, undefined)];
  }
  if (isResponseSerializationError(error)) {
    return [500, body('internal_error', 'The server produced an invalid response', undefined)];
  }
  const pgCode = (error as { code?: unknown }).code;
  if (pgCode === PG_UNIQUE_VIOLATION) {
    return [409, body('already_exists', 'A record with the same unique value already exists', undefined)];
  }
  if (pgCode === PG_FOREIGN_KEY_VIOLATION) {
    return [400, body('invalid_reference', 'A referenced record does not exist', undefined)];
  }
  if (pgCode === PG_CHECK_VIOLATION) {
    return [422, body('constraint_violation', 'The change would break a data rule', undefined)];
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return [415, body('unsupported_media_type', 'Send the body as application/json', undefined)];
  }
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return [400, body('invalid_json', 'The body is not valid JSON', undefined)];
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return [413, body('body_too_large', 'The body is too large', undefined)];
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return [error.statusCode, body('bad_request', error.message, undefined)];
  }
  return [500, body('internal_error', 'Something went wrong on our side', undefined)];
}

function fieldName(where: string, instancePath: string): string {
  const path = instancePath.replace(/^\//, '').replaceAll('/', '.');
  return path ? path : where;
}

function body(code: string, message: string, details: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}
