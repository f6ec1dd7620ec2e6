import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Principal, principalForApiKey, principalForSession } from '../access/repository.js';
import { can, type Permission } from '../access/roles.js';
import type { Db } from '../store/db.js';
import { AppError } from './errors.js';

export const SESSION_COOKIE = 'lb_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/**
 * Resolves who is calling, once per request: an `Authorization: Bearer <api key>` header, or the
 * dashboard's session cookie. Routes then ask for a principal with the permission they need.
 */
export function registerAuthentication(app: FastifyInstance, db: Db): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match?.[1]) {
        throw new AppError(
          'unauthenticated',
          'invalid_authorization',
          'Use "Authorization: Bearer <api key>"',
        );
      }
      const principal = await principalForApiKey(db, match[1]);
      if (!principal)
        throw new AppError('unauthenticated', 'invalid_api_key', 'The API key is invalid or revoked');
      request.principal = principal;
      return;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie) request.principal = await principalForSession(db, cookie);
  });
}

/** The caller, who must hold `permission` in their tenant; 401 when anonymous, 403 when not allowed. */
export function requirePrincipal(request: FastifyRequest, permission: Permission): Principal {
  const principal = request.principal;
  if (!principal) {
    throw new AppError('unauthenticated', 'authentication_required', 'Sign in or send an API key');
  }
  if (!can(principal.role, permission)) {
    throw new AppError(
      'forbidden',
      'insufficient_role',
      `The ${principal.role} role may not ${permissionWording[permission]}`,
    );
  }
  return principal;
}

const permissionWording: Readonly<Record<Permission, string>> = {
  read: 'read data',
  write: 'change billing data',
  manage_integrations: 'manage integrations',
  manage_access: 'manage users and API keys',
};
