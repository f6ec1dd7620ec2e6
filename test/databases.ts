import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Db, openPglite, openPostgres, quoteIdent } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';

/**
 * The backends every storage, queue and API test runs on: embedded PGlite always, and the
 * PostgreSQL server named by TEST_DATABASE_URL when it is set.
 */
export interface TestBackend {
  readonly name: 'pglite' | 'postgres';
  /** A fresh, migrated database private to the caller; `drop` removes it. */
  create(): Promise<TestDatabase>;
}

export interface TestDatabase {
  readonly db: Db;
  /** Opens another handle on the same database, as a second process would. */
  connectAgain(): Db;
  drop(): Promise<void>;
}

const pgliteBackend: TestBackend = {
  name: 'pglite',
  async create() {
    const db = openPglite();
    await migrate(db);
    return {
      db,
      connectAgain: () => {
        throw new Error('PGlite is a single embedded process; it has no second connection');
      },
      drop: () => db.close(),
    };
  },
};

function postgresBackend(url: string): TestBackend {
  return {
    name: 'postgres',
    async create() {
      const schema = `lb_test_${randomBytes(6).toString('hex')}`;
      await adminQuery(url, `CREATE SCHEMA ${quoteIdent(schema)}`);
      const handles: Db[] = [];
      const open = () => {
        const handle = openPostgres({ connectionString: url, schema });
        handles.push(handle);
        return handle;
      };
      const db = open();
      await migrate(db);
      return {
        db,
        connectAgain: open,
        async drop() {
          await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
          await adminQuery(url, `DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
        },
      };
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export const testDatabaseUrl = process.env.TEST_DATABASE_URL;

export const backends: readonly TestBackend[] = testDatabaseUrl
  ? [pgliteBackend, postgresBackend(testDatabaseUrl)]
  : [pgliteBackend];

export const postgresOnly: TestBackend | undefined = testDatabaseUrl
  ? postgresBackend(testDatabaseUrl)
  : undefined;
