import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createApiKey, createTenant } from '../src/access/repository.js';
import type { Role } from '../src/access/roles.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import type { Db } from '../src/store/db.js';
import type { TestBackend, TestDatabase } from './databases.js';

/** A running API on a fresh database, with helpers to make tenants and call routes as them. */
export interface TestApi {
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly database: TestDatabase;
  /** A new tenant and an API key of the given role (owner by default). */
  tenant(role?: Role): Promise<TestTenant>;
  close(): Promise<void>;
}

export interface TestTenant {
  readonly tenantId: string;
  readonly key: string;
  /** Another key of the same tenant with a different role. */
  keyFor(role: Role): Promise<string>;
  request(method: string, url: string, body?: unknown): Promise<LightMyRequestResponse>;
}

export async function startTestApi(backend: TestBackend): Promise<TestApi> {
  const database = await backend.create();
  const { db } = database;
  const app = await buildApp({
    db,
    logger: createLogger('silent'),
    cookieSecure: false,
    sessionTtlHours: 1,
  });
  await app.ready();
  const call = (key: string) => (method: string, url: string, body?: unknown) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
  return {
    app,
    db,
    database,
    async tenant(role: Role = 'owner') {
      const tenant = await createTenant(db, `Tenant ${Math.random().toString(36).slice(2, 8)}`);
      const keyFor = async (keyRole: Role) =>
        (await createApiKey(db, { tenantId: tenant.id, name: `${keyRole} key`, role: keyRole })).secret;
      const key = await keyFor(role);
      return { tenantId: tenant.id, key, keyFor, request: call(key) };
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
