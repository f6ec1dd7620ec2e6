import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../store/db.js';
import { accessRoutes } from './access.js';
import { contactRoutes } from './contacts.js';

export interface ApiOptions {
  readonly db: Db;
  readonly cookieSecure: boolean;
  readonly sessionTtlHours: number;
}

/** Everything under /api/v1. */
export const apiRoutes: FastifyPluginAsyncZod<ApiOptions> = async (app, options) => {
  await app.register(accessRoutes, options);
  await app.register(contactRoutes, { db: options.db });
};
