import type { Queryable } from '../../store/db.js';

/** Per tenant: the review-request automation (the same row keeps the webhook signing secrets). */
export interface AutomationSettings {
  readonly tenantId: string;
  readonly reviewRequestEnabled: boolean;
  readonly reviewUrl: string | null;
  readonly updatedAt: Date;
}

function fromRow(row: Record<string, unknown>): AutomationSettings {
  return {
    tenantId: String(row.tenant_id),
    reviewRequestEnabled: Boolean(row.review_request_enabled),
    reviewUrl: (row.review_url as string | null) ?? null,
    updatedAt: row.updated_at as Date,
  };
}

/** The tenant's settings, created (automation off) on first look. */
export async function automationSettings(db: Queryable, tenantId: string): Promise<AutomationSettings> {
  const [existing] = await db.query('SELECT * FROM workflow_automation_settings WHERE tenant_id = $1', [
    tenantId,
  ]);
  if (existing) return fromRow(existing);
  await db.query(
    'INSERT INTO workflow_automation_settings (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING',
    [tenantId],
  );
  const [row] = await db.query('SELECT * FROM workflow_automation_settings WHERE tenant_id = $1', [tenantId]);
  if (!row) throw new Error(`automation settings of ${tenantId} cannot be read`);
  return fromRow(row);
}

export async function updateReviewRequestSettings(
  tx: Queryable,
  tenantId: string,
  patch: { enabled?: boolean | undefined; reviewUrl?: string | null | undefined },
): Promise<AutomationSettings> {
  const current = await automationSettings(tx, tenantId);
  const [row] = await tx.query(
    `UPDATE workflow_automation_settings SET review_request_enabled = $2, review_url = $3, updated_at = now()
     WHERE tenant_id = $1 RETURNING *`,
    [
      tenantId,
      patch.enabled ?? current.reviewRequestEnabled,
      patch.reviewUrl === undefined ? current.reviewUrl : patch.reviewUrl,
    ],
  );
  if (!row) throw new Error(`automation settings of ${tenantId} vanished`);
  return fromRow(row);
}
