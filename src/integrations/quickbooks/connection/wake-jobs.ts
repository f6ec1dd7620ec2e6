import type { Queryable } from '../../../store/db.js';

/**
 * Runs the tenant's waiting QuickBooks jobs now: called when a connection (re)becomes usable, so jobs
 * snoozed while it needed a person do not sit out the rest of their snooze. Types are `quickbooks.…`.
 */
export async function wakeQuickBooksJobs(db: Queryable, tenantId: string): Promise<number> {
  const rows = await db.query(
    `UPDATE jobs SET run_at = now(), updated_at = now()
     WHERE tenant_id = $1 AND state = 'queued' AND type LIKE 'quickbooks.%' AND run_at > now()
     RETURNING id`,
    [tenantId],
  );
  return rows.length;
}
