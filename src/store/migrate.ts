import type { Db, Queryable } from './db.js';
import { migrations } from './migrations/index.js';

export interface Migration {
  /** Zero-padded, strictly increasing: the order migrations are applied in. */
  readonly id: string;
  readonly name: string;
  readonly sql: string;
}

// Any constant works; it only has to be the same in every process sharing the database.
const MIGRATION_LOCK = 7_340_211;

/**
 * Applies pending migrations, each in its own transaction together with its bookkeeping row, so a
 * crash mid-migration leaves the schema at the previous version. Processes starting at once
 * serialize on an advisory lock and re-check what is applied after taking it.
 */
export async function migrate(db: Db, list: readonly Migration[] = migrations): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id text PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: string[] = [];
  for (const migration of [...list].sort((a, b) => a.id.localeCompare(b.id))) {
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      if (await isApplied(tx, migration.id)) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [
        migration.id,
        migration.name,
      ]);
      return true;
    });
    if (ran) applied.push(`${migration.id}_${migration.name}`);
  }
  return applied;
}

async function isApplied(tx: Queryable, id: string): Promise<boolean> {
  const rows = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [id]);
  return rows.length > 0;
}
