import type { Queryable } from '../../store/db.js';
import { newId } from '../../store/ids.js';

/** Shared by the queue tests; kept free of test-only imports so the build can compile it harmlessly. */

export async function createTenant(db: Queryable, name = 'Acme'): Promise<string> {
  const id = newId('ten');
  await db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [id, name]);
  return id;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined/false, or fails after timeoutMs. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 20, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** A clock the test moves by hand (WorkerOptions.now); starts a little ahead of the real one. */
export class ManualClock {
  private time: number;
  constructor(start = Date.now() + 1_000) {
    this.time = start;
  }
  readonly now = (): Date => new Date(this.time);
  advance(ms: number): void {
    this.time += ms;
  }
}

export async function countJobs(db: Queryable, where = 'true', params: unknown[] = []): Promise<number> {
  const rows = await db.query<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE ${where}`, params);
  return rows[0]?.n ?? 0;
}
