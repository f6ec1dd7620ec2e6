import type { Db, Queryable } from '../store/db.js';

/**
 * Housekeeping that keeps the access tables small: expired dashboard sessions and login throttle
 * entries whose window and lockout have both passed.
 */
export const MAINTENANCE_JOB = 'maintenance.cleanup';

export async function cleanUpExpiredAccessData(
  db: Queryable,
): Promise<{ sessions: number; throttles: number }> {
  const sessions = await db.query('DELETE FROM sessions WHERE expires_at < now() RETURNING 1');
  const throttles = await db.query(
    `DELETE FROM login_throttle
     WHERE window_started_at < now() - interval '1 day' AND (locked_until IS NULL OR locked_until < now())
     RETURNING 1`,
  );
  return { sessions: sessions.length, throttles: throttles.length };
}

/** The dedupe key makes the hourly cleanup one job per hour however many workers schedule it. */
export function maintenanceDedupeKey(now: Date): string {
  return `${MAINTENANCE_JOB}:${now.toISOString().slice(0, 13)}`;
}

export type { Db };
