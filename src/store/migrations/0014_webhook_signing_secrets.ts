import type { Migration } from '../migrate.js';

/**
 * The secret that signs workflow `webhook` nodes' payloads is encrypted at rest like every other
 * credential (the SecretBox envelope, bound to the tenant), can be read by owners and admins so a
 * receiver can verify, and can be rolled: the previous secret keeps signing alongside the new one
 * until `previous_webhook_secret_expires_at`, so receivers switch over without dropping deliveries.
 *
 * Rows written before this migration hold the secret in plain text; the application encrypts such a
 * value the first time it reads it (a migration has no key). `webhook_secret` becomes nullable because
 * the secret is now created when it is first needed, not with the row.
 */
export const webhookSigningSecrets: Migration = {
  id: '0014',
  name: 'webhook_signing_secrets',
  sql: `
ALTER TABLE workflow_automation_settings
  ALTER COLUMN webhook_secret DROP NOT NULL,
  ADD COLUMN webhook_secret_created_at timestamptz,
  ADD COLUMN previous_webhook_secret text,
  ADD COLUMN previous_webhook_secret_expires_at timestamptz,
  ADD CONSTRAINT previous_webhook_secret_expires
    CHECK ((previous_webhook_secret IS NULL) = (previous_webhook_secret_expires_at IS NULL));
UPDATE workflow_automation_settings SET webhook_secret_created_at = updated_at WHERE webhook_secret IS NOT NULL;
`,
};
