import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createApiKey, createTenant } from '../src/access/repository.js';
import type { Role } from '../src/access/roles.js';
import { buildApp } from '../src/http/app.js';
import { unconfiguredQuickBooksIntegration } from '../src/integrations/quickbooks/settings.js';
import type { QuickBooksIntegration, QuickBooksSettings } from '../src/integrations/quickbooks/types.js';
import {
  type StripeIntegration,
  type StripeSettings,
  unconfiguredStripeIntegration,
} from '../src/integrations/stripe/settings.js';
import { createLogger, type Logger } from '../src/logger.js';
import { SecretBox } from '../src/security/secret-box.js';
import type { Db } from '../src/store/db.js';
import type { TestBackend, TestDatabase } from './databases.js';

/** A running API on a fresh database, with helpers to make tenants and call routes as them. */
export interface TestApi {
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly database: TestDatabase;
  /** The Stripe settings and SecretBox the app was built with (a fresh random encryption key). */
  readonly stripe: StripeIntegration;
  /** The QuickBooks settings the app was built with; the same SecretBox as `stripe`. */
  readonly quickbooks: QuickBooksIntegration;
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

export interface TestApiOptions {
  /** Overrides of the unconfigured defaults (real Stripe URLs, nothing configured). */
  readonly stripe?: Partial<StripeSettings>;
  /** Overrides of the unconfigured QuickBooks defaults (Intuit's hosts, no app credentials). */
  readonly quickbooks?: Partial<QuickBooksSettings>;
  readonly logger?: Logger;
  /** The webhook verifier's clock, and QuickBooks' token-expiry clock. */
  readonly now?: () => number;
  /** By default a SecretBox with a fresh random key. */
  readonly secrets?: SecretBox;
}

export async function startTestApi(backend: TestBackend, options: TestApiOptions = {}): Promise<TestApi> {
  const database = await backend.create();
  const { db } = database;
  const stripe: StripeIntegration = {
    settings: { ...unconfiguredStripeIntegration().settings, ...options.stripe },
    secrets: options.secrets ?? new SecretBox([randomBytes(32)]),
    now: options.now ?? Date.now,
  };
  const quickbooks: QuickBooksIntegration = {
    settings: { ...unconfiguredQuickBooksIntegration().settings, ...options.quickbooks },
    secrets: stripe.secrets,
    now: options.now ?? Date.now,
  };
  const app = await buildApp({
    db,
    logger: options.logger ?? createLogger('silent'),
    cookieSecure: false,
    sessionTtlHours: 1,
    stripe,
    quickbooks,
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
    stripe,
    quickbooks,
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
