import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { quickbooksWebhookRoutes } from '../integrations/quickbooks/inbound/webhook-route.js';
import { unconfiguredQuickBooksIntegration } from '../integrations/quickbooks/settings.js';
import type { QuickBooksIntegration } from '../integrations/quickbooks/types.js';
import { type StripeIntegration, unconfiguredStripeIntegration } from '../integrations/stripe/settings.js';
import { stripeWebhookRoutes } from '../integrations/stripe/webhook-route.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/db.js';
import { registerAuthentication, registerAuthorization } from './auth.js';
import { handleError } from './error-handler.js';
import { AppError } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { apiRoutes } from './routes/index.js';
import { quickbooksIntegrationRoutes } from './routes/quickbooks.js';

export interface AppOptions {
  readonly db: Db;
  readonly logger: Logger;
  readonly cookieSecure: boolean;
  readonly sessionTtlHours: number;
  /** Stripe settings and the credential SecretBox; without it nothing can be connected. */
  readonly stripe?: StripeIntegration;
  /** QuickBooks settings and the same SecretBox; without it QuickBooks cannot be connected. */
  readonly quickbooks?: QuickBooksIntegration;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    genReqId: (request) => headerRequestId(request.headers['x-request-id']) ?? randomUUID(),
    bodyLimit: 1024 * 1024,
    // Without this, Fastify drops unknown fields silently; our schemas are strict and say which.
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request) => {
    throw new AppError(
      'not_found',
      'route_not_found',
      `No route for ${request.method} ${request.url.split('?')[0]}`,
    );
  });
  // While draining, answers in flight tell the client to close the connection: a keep-alive socket
  // that goes idle after close() began would otherwise hold the shutdown open until it times out.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (draining) reply.header('connection', 'close');
  });

  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ledgerbridge API',
        version: '1',
        description:
          'Invoice-to-cash: billing data, invoices, payments and their sync with Stripe and QuickBooks Online. ' +
          'Money is integer minor units with an ISO 4217 currency; quantities and rates are decimal strings.',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key created with `ledgerbridge api-key create`',
          },
          session: { type: 'apiKey', in: 'cookie', name: 'lb_session' },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  registerAuthentication(app, options.db);
  registerAuthorization(app);
  await app.register(healthRoutes, { db: options.db });
  const stripe = options.stripe ?? unconfiguredStripeIntegration();
  await app.register(stripeWebhookRoutes, { db: options.db, stripe });
  const quickbooks = options.quickbooks ?? unconfiguredQuickBooksIntegration();
  await app.register(quickbooksWebhookRoutes, { db: options.db, quickbooks });
  await app.register(apiRoutes, {
    prefix: '/api/v1',
    db: options.db,
    cookieSecure: options.cookieSecure,
    sessionTtlHours: options.sessionTtlHours,
    stripe,
  });
  await app.register(quickbooksIntegrationRoutes, {
    prefix: '/api/v1',
    db: options.db,
    quickbooks,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

function headerRequestId(value: string | string[] | undefined): string | undefined {
  const id = Array.isArray(value) ? value[0] : value;
  return id && /^[\w.:-]{1,128}$/.test(id) ? id : undefined;
}
