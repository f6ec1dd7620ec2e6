import type { Queryable } from '../../../store/db.js';

/** The CDC cursor of a connection (migration 0010_quickbooks_pull.ts). */
export async function getCdcCursor(
  db: Queryable,
  tenantId: string,
  connectionId: string,
): Promise<Date | undefined> {
  const [row] = await db.query<{ changed_since: Date }>(
    'SELECT changed_since FROM quickbooks_cdc_cursors WHERE tenant_id = $1 AND connection_id = $2',
    [tenantId, connectionId],
  );
  return row ? new Date(row.changed_since) : undefined;
}

/**
 * Records a finished sweep. The cursor moves forward only: a slower concurrent sweep never moves it
 * back (the run time and counts are recorded either way).
 */
export async function advanceCdcCursor(
  db: Queryable,
  tenantId: string,
  connectionId: string,
  changedSince: Date,
  counts: Readonly<Record<string, number>>,
): Promise<void> {
  await db.query(
    `INSERT INTO quickbooks_cdc_cursors (tenant_id, connection_id, changed_since, last_run_at, last_counts)
     VALUES ($1, $2, $3, now(), $4::jsonb)
     ON CONFLICT (tenant_id, connection_id) DO UPDATE
       SET changed_since = GREATEST(quickbooks_cdc_cursors.changed_since, EXCLUDED.changed_since),
           last_run_at = now(), last_counts = EXCLUDED.last_counts, updated_at = now()`,
    [tenantId, connectionId, changedSince.toISOString(), JSON.stringify(counts)],
  );
}
