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
  interface FastifyContextConfig {
    /**
     * What a route under /api/v1 needs. By default reads need `read` and every other method
     * `write`; `public` opens a route to anonymous callers (signing in).
     */
    permission?: Permission | 'public';
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

/**
 * Enforces each /api/v1 route's permission before its body is even validated, so a caller without
 * the role learns nothing from validation messages and a new write route is protected by default.
 */
export function registerAuthorization(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const configured = request.routeOptions.config.permission;
    if (configured === 'public') return;
    const permission =
      configured ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write');
    requirePrincipal(request, permission);
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
