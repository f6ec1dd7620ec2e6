import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EncryptionKeyMissingError, type SecretBox } from '../../security/secret-box.js';
import type { Db } from '../../store/db.js';
import {
  MAX_OVERLAP_HOURS,
  rollWebhookSigningSecret,
  type SigningSecrets,
  webhookSigningSecrets,
} from '../../workflows/engine/webhook-secrets.js';
import { requirePrincipal } from '../auth.js';
import { AppError } from '../errors.js';
import { errorBody, iso, isoTimestamp } from '../schemas/common.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 503: errorBody };
const tags = ['workflow runs'];

const secretSchema = z
  .object({
    object: z.literal('webhook_signing_secret'),
    secret: z.string().describe('Verify the `ledgerbridge-signature` header of webhook deliveries with it'),
    created_at: isoTimestamp,
    previous_secret_expires_at: isoTimestamp
      .nullable()
      .describe('Until then, deliveries also carry a signature under the secret this one replaced'),
  })
  .meta({ id: 'WebhookSigningSecret' });

const rollBody = z
  .object({
    expire_previous_in_hours: z
      .number()
      .int()
      .min(0)
      .max(MAX_OVERLAP_HOURS)
      .default(24)
      .describe('How long the replaced secret keeps signing next to the new one; 0 stops it at once'),
  })
  .strict();

function secretJson(secrets: SigningSecrets): z.infer<typeof secretSchema> {
  return {
    object: 'webhook_signing_secret',
    secret: secrets.current,
    created_at: iso(secrets.createdAt),
    previous_secret_expires_at: secrets.previousExpiresAt ? iso(secrets.previousExpiresAt) : null,
  };
}

/** A SecretBox without a key cannot create or roll the secret: 503 saying what to set. */
async function withKey<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof EncryptionKeyMissingError) {
      throw new AppError('unavailable', 'encryption_key_missing', error.message);
    }
    throw error;
  }
}

/**
 * The secret that signs the tenant's workflow `webhook` deliveries, for the receivers that verify
 * them; owners and admins only, like every other credential.
 */
export const webhookSigningSecretRoutes: FastifyPluginAsyncZod<{ db: Db; secrets: SecretBox }> = async (
  app,
  { db, secrets },
) => {
  app.get(
    '/automations/webhook-signing-secret',
    {
      schema: {
        tags,
        summary: 'The secret that signs workflow webhook deliveries (created on first read)',
        description:
          'Each delivery carries `ledgerbridge-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. ' +
          'Owners and admins only.',
        response: { 200: secretSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'manage_integrations');
      return secretJson(await withKey(() => webhookSigningSecrets(db, secrets, tenantId)));
    },
  );

  app.post(
    '/automations/webhook-signing-secret/roll',
    {
      schema: {
        tags,
        summary: 'Replace the webhook signing secret, keeping the old one signing for a while',
        description:
          'Until `previous_secret_expires_at`, every delivery carries one `v1` signature per secret, so ' +
          'receivers can be switched over without a delivery failing verification.',
        body: rollBody,
        response: { 200: secretSchema, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = requirePrincipal(request, 'manage_integrations');
      const hours = request.body.expire_previous_in_hours;
      return secretJson(await withKey(() => rollWebhookSigningSecret(db, secrets, tenantId, hours)));
    },
  );
};
