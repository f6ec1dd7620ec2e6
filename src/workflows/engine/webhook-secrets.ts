import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../../security/secret-box.js';
import type { Db, Queryable } from '../../store/db.js';
import { automationSettings } from './automation-settings.js';

/**
 * The secret that signs a tenant's workflow `webhook` deliveries. Stored encrypted (the SecretBox
 * envelope, bound to the tenant and the column, so a value copied to another row does not open),
 * created on first use, readable by owners and admins, and rolled with an overlap: until the previous
 * secret expires, deliveries carry a signature under each, so a receiver can switch at its own pace.
 */
export interface SigningSecrets {
  readonly current: string;
  readonly createdAt: Date;
  /** Still signing alongside `current` until `previousExpiresAt`. */
  readonly previous: string | null;
  readonly previousExpiresAt: Date | null;
}

/** The longest overlap a roll may ask for: a week. */
export const MAX_OVERLAP_HOURS = 168;

const PLAIN_PREFIX = 'wfsec_';

function context(tenantId: string, column: 'webhook_secret' | 'previous_webhook_secret'): string {
  return `workflow_automation_settings:${tenantId}:${column}`;
}

function newSecret(): string {
  return `${PLAIN_PREFIX}${randomBytes(24).toString('hex')}`;
}

type SecretRow = {
  readonly webhook_secret: string | null;
  readonly webhook_secret_created_at: Date | null;
  readonly previous_webhook_secret: string | null;
  readonly previous_webhook_secret_expires_at: Date | null;
};

async function readRow(db: Queryable, tenantId: string, lock = false): Promise<SecretRow | undefined> {
  const [row] = await db.query<SecretRow>(
    `SELECT webhook_secret, webhook_secret_created_at, previous_webhook_secret, previous_webhook_secret_expires_at
     FROM workflow_automation_settings WHERE tenant_id = $1${lock ? ' FOR UPDATE' : ''}`,
    [tenantId],
  );
  return row;
}

/**
 * The tenant's signing secrets, creating the first one if there is none yet. Creation and the
 * one-time encryption of a secret stored in plain text by an older version are compare-and-set
 * updates, so two first uses at once agree on one secret.
 */
export async function webhookSigningSecrets(
  db: Queryable,
  secrets: SecretBox,
  tenantId: string,
  now: Date = new Date(),
): Promise<SigningSecrets> {
  await automationSettings(db, tenantId);
  for (;;) {
    const row = await readRow(db, tenantId);
    if (!row) throw new Error(`automation settings of ${tenantId} cannot be read`);
    const stored = row.webhook_secret;
    if (stored === null) {
      await db.query(
        `UPDATE workflow_automation_settings SET webhook_secret = $2, webhook_secret_created_at = now()
         WHERE tenant_id = $1 AND webhook_secret IS NULL`,
        [tenantId, secrets.encrypt(newSecret(), context(tenantId, 'webhook_secret'))],
      );
      continue;
    }
    if (stored.startsWith(PLAIN_PREFIX) && secrets.canEncrypt) {
      await db.query(
        `UPDATE workflow_automation_settings SET webhook_secret = $3 WHERE tenant_id = $1 AND webhook_secret = $2`,
        [tenantId, stored, secrets.encrypt(stored, context(tenantId, 'webhook_secret'))],
      );
      continue;
    }
    return open(secrets, tenantId, row, stored, now);
  }
}

function open(
  secrets: SecretBox,
  tenantId: string,
  row: SecretRow,
  stored: string,
  now: Date,
): SigningSecrets {
  const current = stored.startsWith(PLAIN_PREFIX)
    ? stored
    : secrets.decrypt(stored, context(tenantId, 'webhook_secret'));
  const expiresAt = row.previous_webhook_secret_expires_at;
  const previousLive = row.previous_webhook_secret !== null && expiresAt !== null && expiresAt > now;
  return {
    current,
    createdAt: row.webhook_secret_created_at ?? now,
    previous: previousLive
      ? secrets.decrypt(row.previous_webhook_secret ?? '', context(tenantId, 'previous_webhook_secret'))
      : null,
    previousExpiresAt: previousLive ? expiresAt : null,
  };
}

/**
 * Replaces the signing secret. The one it replaces keeps signing for `overlapHours` (0: stops now),
 * so receivers that still verify with it miss nothing while they are updated.
 */
export async function rollWebhookSigningSecret(
  db: Db,
  secrets: SecretBox,
  tenantId: string,
  overlapHours: number,
): Promise<SigningSecrets> {
  secrets.assertCanEncrypt();
  await webhookSigningSecrets(db, secrets, tenantId);
  return db.transaction(async (tx) => {
    const row = await readRow(tx, tenantId, true);
    if (!row?.webhook_secret) throw new Error(`the signing secret of ${tenantId} vanished`);
    const { current } = open(secrets, tenantId, row, row.webhook_secret, new Date());
    const keep = overlapHours > 0;
    await tx.query(
      `UPDATE workflow_automation_settings
       SET webhook_secret = $2, webhook_secret_created_at = now(), previous_webhook_secret = $3,
           previous_webhook_secret_expires_at = CASE WHEN $3::text IS NULL THEN NULL
                                                     ELSE now() + make_interval(hours => $4) END,
           updated_at = now()
       WHERE tenant_id = $1`,
      [
        tenantId,
        secrets.encrypt(newSecret(), context(tenantId, 'webhook_secret')),
        keep ? secrets.encrypt(current, context(tenantId, 'previous_webhook_secret')) : null,
        overlapHours,
      ],
    );
    return webhookSigningSecrets(tx, secrets, tenantId);
  });
}
