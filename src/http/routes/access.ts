import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  type ApiKey,
  createApiKey,
  createSession,
  createUser,
  deleteSession,
  findUserForLogin,
  getTenant,
  listApiKeys,
  listUsers,
  revokeApiKey,
  type User,
} from '../../access/repository.js';
import { canGrant, ROLES } from '../../access/roles.js';
import { decoyPasswordHash, verifyPassword } from '../../access/secrets.js';
import { clearFailures, lockedForSeconds, recordFailure } from '../../access/throttle.js';
import { requirePrincipal, SESSION_COOKIE } from '../auth.js';
import { AppError, notFound } from '../errors.js';
import { errorBody, idParam, iso, isoOrNull, isoTimestamp } from '../schemas/common.js';
import type { ApiOptions } from './index.js';

const role = z.enum(ROLES);
const userSchema = z
  .object({
    id: z.string(),
    object: z.literal('user'),
    email: z.string(),
    name: z.string(),
    role,
    created_at: isoTimestamp,
  })
  .meta({ id: 'User' });
const apiKeySchema = z
  .object({
    id: z.string(),
    object: z.literal('api_key'),
    name: z.string(),
    role,
    created_at: isoTimestamp,
    last_used_at: isoTimestamp.nullable(),
    revoked_at: isoTimestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });
const errors = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  404: errorBody,
  409: errorBody,
  429: errorBody,
};

const userJson = (user: User) => ({
  id: user.id,
  object: 'user' as const,
  email: user.email,
  name: user.name,
  role: user.role,
  created_at: iso(user.createdAt),
});
const apiKeyJson = (key: ApiKey) => ({
  id: key.id,
  object: 'api_key' as const,
  name: key.name,
  role: key.role,
  created_at: iso(key.createdAt),
  last_used_at: isoOrNull(key.lastUsedAt),
  revoked_at: isoOrNull(key.revokedAt),
});

export const accessRoutes: FastifyPluginAsyncZod<ApiOptions> = async (
  app,
  { db, cookieSecure, sessionTtlHours },
) => {
  app.post(
    '/auth/login',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['access'],
        summary: 'Sign in to the dashboard; sets an http-only session cookie',
        security: [],
        body: z.object({ email: z.email(), password: z.string().min(1).max(1024) }).strict(),
        response: { 200: z.object({ user: userSchema }), ...errors },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const keys = [`email:${email.toLowerCase()}`, `ip:${request.ip}`];
      for (const key of keys) {
        const wait = await lockedForSeconds(db, key);
        if (wait > 0) {
          void reply.header('retry-after', String(wait));
          throw new AppError(
            'rate_limited',
            'too_many_attempts',
            `Too many failed sign-ins; try again in ${wait} s`,
          );
        }
      }
      const found = await findUserForLogin(db, email);
      // Hash even for unknown emails so the answer time does not reveal which emails exist.
      const ok = await verifyPassword(password, found?.passwordHash ?? (await decoyPasswordHash()));
      if (!found || !ok) {
        for (const key of keys) await recordFailure(db, key);
        throw new AppError('unauthenticated', 'invalid_credentials', 'Email or password is wrong');
      }
      for (const key of keys) await clearFailures(db, key);
      const token = await createSession(db, found.user, sessionTtlHours);
      void reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        secure: cookieSecure,
        sameSite: 'lax',
        path: '/',
        maxAge: sessionTtlHours * 3600,
      });
      return { user: userJson(found.user) };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { permission: 'public' },
      schema: { tags: ['access'], summary: 'End the dashboard session', response: { 204: z.null() } },
    },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await deleteSession(db, token);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      schema: {
        tags: ['access'],
        summary: 'Who the caller is',
        response: {
          200: z.object({
            tenant: z.object({ id: z.string(), name: z.string() }),
            role,
            actor: z.string(),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request, 'read');
      const tenant = await getTenant(db, principal.tenantId);
      if (!tenant) throw notFound('tenant', principal.tenantId);
      return { tenant: { id: tenant.id, name: tenant.name }, role: principal.role, actor: principal.actor };
    },
  );

  app.get(
    '/users',
    {
      config: { permission: 'manage_access' },
      schema: {
        tags: ['access'],
        summary: 'List the tenant’s users',
        response: { 200: z.object({ data: z.array(userSchema) }), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'manage_access');
      return { data: (await listUsers(db, tenantId)).map(userJson) };
    },
  );

  app.post(
    '/users',
    {
      config: { permission: 'manage_access' },
      schema: {
        tags: ['access'],
        summary: 'Add a user to the tenant',
        body: z
          .object({
            email: z.email(),
            name: z.string().trim().min(1).max(200),
            role,
            password: z.string().min(12).max(1024),
          })
          .strict(),
        response: { 201: userSchema, ...errors },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request, 'manage_access');
      if (!canGrant(principal.role, request.body.role)) {
        throw new AppError(
          'forbidden',
          'insufficient_role',
          `The ${principal.role} role may not create ${request.body.role} users`,
        );
      }
      const user = await createUser(db, { tenantId: principal.tenantId, ...request.body });
      return reply.status(201).send(userJson(user));
    },
  );

  app.get(
    '/api-keys',
    {
      config: { permission: 'manage_access' },
      schema: {
        tags: ['access'],
        summary: 'List API keys (never their secrets)',
        response: { 200: z.object({ data: z.array(apiKeySchema) }), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'manage_access');
      return { data: (await listApiKeys(db, tenantId)).map(apiKeyJson) };
    },
  );

  app.post(
    '/api-keys',
    {
      config: { permission: 'manage_access' },
      schema: {
        tags: ['access'],
        summary: 'Create an API key; the secret is in this response only',
        body: z.object({ name: z.string().trim().min(1).max(200), role }).strict(),
        response: { 201: apiKeySchema.extend({ secret: z.string() }), ...errors },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request, 'manage_access');
      if (!canGrant(principal.role, request.body.role)) {
        throw new AppError(
          'forbidden',
          'insufficient_role',
          `The ${principal.role} role may not create ${request.body.role} keys`,
        );
      }
      const { apiKey, secret } = await createApiKey(db, { tenantId: principal.tenantId, ...request.body });
      return reply.status(201).send({ ...apiKeyJson(apiKey), secret });
    },
  );

  app.delete(
    '/api-keys/:id',
    {
      config: { permission: 'manage_access' },
      schema: {
        tags: ['access'],
        summary: 'Revoke an API key',
        params: idParam,
        response: { 200: apiKeySchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'manage_access');
      const key = await revokeApiKey(db, tenantId, request.params.id);
      if (!key) throw notFound('api key', request.params.id);
      return apiKeyJson(key);
    },
  );
};
