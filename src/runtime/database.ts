import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { type Db, openPglite, openPostgres } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';

export interface OpenedDatabase {
  readonly db: Db;
  /** Where the data lives, for messages: the PGlite directory or the server (without credentials). */
  readonly location: string;
  close(): Promise<void>;
}

/**
 * The database the configuration names: a PostgreSQL server when DATABASE_URL is set, else embedded
 * PGlite in DATA_DIR. PGlite is one process's database, so its directory is locked while open.
 * Migrations run here, so every entry point (server, worker, CLI) sees the current schema.
 */
export async function openDatabase(config: Config): Promise<OpenedDatabase> {
  if (config.databaseUrl) {
    const db = openPostgres({ connectionString: config.databaseUrl, max: config.databasePoolSize });
    await migrate(db);
    return { db, location: redactUrl(config.databaseUrl), close: () => db.close() };
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const lock: DataDirLock = acquireDataDirLock(config.dataDir);
  const directory = join(config.dataDir, 'pglite');
  try {
    const db = await opened(openPglite(directory), directory);
    await migrate(db);
    return {
      db,
      location: config.dataDir,
      async close() {
        await db.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** The embedded database's files cannot be read: what happened, and what to do, in words. */
export class DatabaseUnreadableError extends Error {}

/**
 * PGlite reports damaged files (e.g. a directory replaced or written by a second process while a
 * server ran) only on its first statement, as a WebAssembly abort or "failed to initialize": name
 * the directory and the way out instead of a stack trace through minified code.
 */
async function opened(db: Db, directory: string): Promise<Db> {
  try {
    await db.query('SELECT 1');
    return db;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DatabaseUnreadableError(
      `The embedded database in ${directory} cannot be opened (PGlite: ${reason}). ` +
        'Its files are damaged, typically because the directory was deleted or replaced, or written by a ' +
        'second process, while a server was running. Move that directory aside to start with a new, empty ' +
        'database (a sandbox sets itself up again), or restore it from a backup.',
    );
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgresql (unparseable DATABASE_URL)';
  }
}
