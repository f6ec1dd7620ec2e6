import type { Queryable } from '../store/db.js';

/**
 * Login throttling shared by every API process through the database: after MAX_FAILURES failed
 * attempts inside WINDOW for one key (an email, or a client address) the key is locked for LOCKOUT.
 */
export const LOGIN_POLICY = { maxFailures: 5, windowSeconds: 15 * 60, lockoutSeconds: 15 * 60 } as const;

/** Seconds until the key may try again, or 0 if it may try now. */
export async function lockedForSeconds(db: Queryable, key: string): Promise<number> {
  const [row] = await db.query<{ wait: number | null }>(
    `SELECT ceil(extract(epoch FROM locked_until - now()))::int AS wait FROM login_throttle
     WHERE key = $1 AND locked_until > now()`,
    [key],
  );
  return row?.wait ?? 0;
}

export async function recordFailure(db: Queryable, key: string): Promise<void> {
  await db.query(
    `INSERT INTO login_throttle AS t (key, failures, window_started_at) VALUES ($1, 1, now())
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN t.window_started_at < now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
       window_started_at = CASE WHEN t.window_started_at < now() - make_interval(secs => $2)
         THEN now() ELSE t.window_started_at END,
       locked_until = CASE
         WHEN t.window_started_at >= now() - make_interval(secs => $2) AND t.failures + 1 >= $3
         THEN now() + make_interval(secs => $4) ELSE t.locked_until END`,
    [key, LOGIN_POLICY.windowSeconds, LOGIN_POLICY.maxFailures, LOGIN_POLICY.lockoutSeconds],
  );
}

export async function clearFailures(db: Queryable, key: string): Promise<void> {
  await db.query('DELETE FROM login_throttle WHERE key = $1', [key]);
}
