import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Db, openPglite, openPostgres, quoteIdent } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { benchApi } from './api.js';
import { benchInvoiceMath } from './invoice-math.js';
import type { Figure } from './measure.js';
import { benchQueue } from './queue.js';
import { benchQuickBooks } from './quickbooks.js';
import { benchWebhooks } from './webhooks.js';

const SUITES = ['math', 'queue', 'api', 'webhooks', 'quickbooks'] as const;
type Suite = (typeof SUITES)[number];

/** `node dist/bench/run.js webhooks queue` runs only those suites; no argument runs them all. */
function selectedSuites(args: readonly string[]): ReadonlySet<Suite> {
  const unknown = args.filter((arg) => !(SUITES as readonly string[]).includes(arg));
  if (unknown.length > 0)
    throw new Error(`unknown benchmark ${unknown.join(', ')}; one of ${SUITES.join(', ')}`);
  return new Set(args.length === 0 ? SUITES : (args as Suite[]));
}

/**
 * `npm run bench`: invoice math, the job queue, the HTTP API, Stripe webhook ingest and the QuickBooks
 * push (against its emulator) on embedded PGlite, and on a PostgreSQL server too when BENCH_DATABASE_URL is set (each run in a throwaway
 * schema). Prints a Markdown table for BENCHMARKS.md.
 */
async function main(): Promise<void> {
  const run = selectedSuites(process.argv.slice(2));
  const figures: Figure[] = run.has('math') ? [...(await benchInvoiceMath())] : [];

  const pglite = openPglite();
  await migrate(pglite);
  if (run.has('queue'))
    figures.push(...(await benchQueue('PGlite', pglite, { jobs: 2_000, workers: 1, concurrency: 16 })));
  if (run.has('api')) figures.push(...(await benchApi('PGlite', pglite, { invoices: 200, concurrency: 4 })));
  if (run.has('webhooks'))
    figures.push(...(await benchWebhooks('PGlite', pglite, { events: 1_000, concurrency: 8 })));
  if (run.has('quickbooks'))
    figures.push(
      ...(await benchQuickBooks('PGlite', pglite, { invoices: 400, customers: 100, timeScale: 3 })),
    );
  await pglite.close();

  const url = process.env.BENCH_DATABASE_URL;
  if (url) {
    const schema = `lb_bench_${randomBytes(4).toString('hex')}`;
    await admin(url, `CREATE SCHEMA ${quoteIdent(schema)}`);
    const connect = (): Db => openPostgres({ connectionString: url, schema, max: 10 });
    const db = connect();
    try {
      await migrate(db);
      if (run.has('queue')) {
        figures.push(
          ...(await benchQueue('PostgreSQL', db, { jobs: 10_000, workers: 4, concurrency: 16, connect })),
        );
      }
      if (run.has('api'))
        figures.push(...(await benchApi('PostgreSQL', db, { invoices: 400, concurrency: 8 })));
      if (run.has('webhooks'))
        figures.push(...(await benchWebhooks('PostgreSQL', db, { events: 2_000, concurrency: 16 })));
      if (run.has('quickbooks')) {
        figures.push(
          ...(await benchQuickBooks('PostgreSQL', db, { invoices: 400, customers: 100, timeScale: 3 })),
        );
      }
    } finally {
      await db.close();
      await admin(url, `DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    }
  }

  const rows = figures.map((f) => `| ${f.name} | ${f.value} | ${f.detail} |`);
  process.stdout.write(
    ['| benchmark | result | what was measured |', '|---|---|---|', ...rows, ''].join('\n'),
  );
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

await main();
