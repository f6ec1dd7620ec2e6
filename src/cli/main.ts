import { Command, InvalidArgumentError, Option } from 'commander';
import { startQuickBooksEmulator } from '../../emulators/quickbooks/server.js';
import { startStripeEmulator } from '../../emulators/stripe/server.js';
import { createApiKey, createTenant, createUser, getTenant } from '../access/repository.js';
import { ROLES, type Role } from '../access/roles.js';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { DataDirBusyError } from '../runtime/data-dir-lock.js';
import { DatabaseUnreadableError, openDatabase } from '../runtime/database.js';
import { PortInUseError, type ProcessRoles, runProcess } from '../runtime/process.js';
import type { Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';

/** The `ledgerbridge` command. docs/cli.md describes every command and option. */
export function buildCli(): Command {
  const program = new Command('ledgerbridge')
    .description('Self-hosted invoice-to-cash engine: billing, Stripe and QuickBooks Online in step')
    .showHelpAfterError();

  program
    .command('start')
    .description('Run the API and the workers in one process (what `npm start` runs)')
    .action(() => serve({ api: true, worker: true }));
  program
    .command('serve')
    .description('Run the API only (scale-out: needs DATABASE_URL and separate workers)')
    .action(() => serve({ api: true, worker: false }));
  program
    .command('worker')
    .description('Run the job workers only (scale-out: needs DATABASE_URL)')
    .action(() => serve({ api: false, worker: true }));
  program
    .command('migrate')
    .description('Apply pending database migrations and exit')
    .action(() =>
      withDb(async (db) => {
        const applied = await migrate(db);
        print({ applied });
      }),
    );

  const tenant = program.command('tenant').description('Manage tenants (businesses)');
  tenant
    .command('create')
    .description('Create a tenant')
    .requiredOption('--name <name>', 'business name')
    .action((options: { name: string }) => withDb(async (db) => print(await createTenant(db, options.name))));

  const user = program.command('user').description('Manage users');
  user
    .command('create')
    .description('Create a user in a tenant; the password is read from LEDGERBRIDGE_PASSWORD or --password')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--email <email>', 'login email')
    .requiredOption('--name <name>', 'display name')
    .addOption(roleOption())
    .option('--password <password>', 'password (prefer LEDGERBRIDGE_PASSWORD: arguments show up in ps)')
    .action((options: { tenant: string; email: string; name: string; role: Role; password?: string }) =>
      withDb(async (db) => {
        const password = options.password ?? process.env.LEDGERBRIDGE_PASSWORD;
        if (!password || password.length < 12) {
          throw new InvalidArgumentError('a password of at least 12 characters is required');
        }
        await requireTenant(db, options.tenant);
        const created = await createUser(db, { tenantId: options.tenant, ...options, password });
        print(created);
      }),
    );

  const apiKey = program.command('api-key').description('Manage API keys');
  apiKey
    .command('create')
    .description('Create an API key and print it once; only its hash is stored')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--name <name>', 'what the key is for', 'cli')
    .addOption(roleOption())
    .action((options: { tenant: string; name: string; role: Role }) =>
      withDb(async (db) => {
        await requireTenant(db, options.tenant);
        const { apiKey: key, secret } = await createApiKey(db, { tenantId: options.tenant, ...options });
        print({ ...key, secret, note: 'Store this key now: it cannot be shown again.' });
      }),
    );
  const emulator = program
    .command('emulator')
    .description('Run an emulator of an external service on its own');
  emulator
    .command('stripe')
    .description('Run the Stripe emulator (API, OAuth pages, hosted invoice pages, webhooks)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', parsePort, 12111)
    .option('--secret-key <key>', 'the platform secret key clients must send')
    .action(async (options: { host: string; port: number; secretKey?: string }) => {
      const running = await startStripeEmulator({
        host: options.host,
        port: options.port,
        ...(options.secretKey ? { secretKey: options.secretKey } : {}),
      });
      print({ url: running.url, secret_key: running.secretKey, client_id: running.clientId });
      const stop = () => void running.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  emulator
    .command('quickbooks')
    .description('Run the QuickBooks Online emulator (API, OAuth pages, webhooks, person page)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', parsePort, 12112)
    .option('--companies <n>', 'sandbox companies to create', parseCount, 1)
    .option('--webhook-url <url>', 'where to deliver webhooks')
    .option(
      '--time-scale <n>',
      'speeds up the per-minute limits (60: a minute lasts a second)',
      parseCount,
      1,
    )
    .option('--no-limits', 'turn off the per-company request limits')
    .action(
      async (options: {
        host: string;
        port: number;
        companies: number;
        webhookUrl?: string;
        timeScale: number;
        limits: boolean;
      }) => {
        const running = await startQuickBooksEmulator({
          host: options.host,
          port: options.port,
          companies: options.companies,
          limits: options.limits ? { timeScale: options.timeScale } : false,
          ...(options.webhookUrl ? { webhooks: { url: options.webhookUrl } } : {}),
        });
        print({
          url: running.url,
          client_id: running.clientId,
          client_secret: running.clientSecret,
          webhook_verifier_token: running.verifierToken,
          companies: running.realmIds.map((realmId) => ({
            realm_id: realmId,
            access_token: running.tokenFor(realmId),
          })),
        });
        const stop = () => void running.close().then(() => process.exit(0));
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
    );
  return program;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('a port is 0-65535');
  return port;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    throw new InvalidArgumentError('a whole number 1-1000');
  return count;
}

function roleOption(): Option {
  return new Option('--role <role>', 'owner, admin, finance or viewer').choices(ROLES).default('owner');
}

async function requireTenant(db: Db, id: string): Promise<void> {
  if (!(await getTenant(db, id))) throw new InvalidArgumentError(`no tenant with id ${id}`);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function withDb(action: (db: Db) => Promise<void>): Promise<void> {
  const database = await openDatabase(loadConfig());
  try {
    await action(database.db);
  } finally {
    await database.close();
  }
}

async function serve(roles: ProcessRoles): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const running = await runProcess(config, logger, roles);
  if (running.url) logger.info({ url: running.url }, `ledgerbridge listening on ${running.url}`);
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildCli().parseAsync([...argv]);
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof DataDirBusyError ||
      error instanceof DatabaseUnreadableError ||
      error instanceof PortInUseError ||
      error instanceof InvalidArgumentError
    ) {
      process.stderr.write(`ledgerbridge: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
