import { resolve } from 'node:path';

/** Every setting ledgerbridge reads, from the environment. docs/configuration.md lists each one. */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** Embedded PGlite data directory; ignored when databaseUrl is set. */
  readonly dataDir: string;
  /** A PostgreSQL server; unset means embedded PGlite. */
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  readonly logLevel: string;
  /** Marks the session cookie Secure; on by default, off only for plain-http local use. */
  readonly cookieSecure: boolean;
  readonly sessionTtlHours: number;
  readonly workerConcurrency: number;
  /** Seconds SIGTERM waits for requests and leased jobs before releasing them. */
  readonly shutdownGraceSeconds: number;
  /**
   * Base64 AES-256 keys for credentials at rest; the first encrypts, all decrypt (rotation). Empty
   * means: a key generated in DATA_DIR when embedded, none (storing a credential fails) with DATABASE_URL.
   */
  readonly encryptionKeys: readonly string[];
  /** Where the world reaches this server (webhook endpoints, OAuth redirect); no trailing slash. */
  readonly publicUrl: string | undefined;
  readonly stripeApiBase: string;
  readonly stripeConnectBase: string;
  /** The platform's secret key: Connect OAuth token exchange and requests on connected accounts. */
  readonly stripeSecretKey: string | undefined;
  /** The platform's Connect client id (ca_…). */
  readonly stripeClientId: string | undefined;
  /** whsec_… secrets of the platform's webhook endpoint; several while rotating. */
  readonly stripeWebhookSecrets: readonly string[];
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  return {
    host: env.HOST?.trim() || '127.0.0.1',
    port: integer(env, 'PORT', 4000, 0, 65_535),
    dataDir: resolve(env.DATA_DIR?.trim() || './data'),
    databaseUrl,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 500),
    logLevel: env.LOG_LEVEL?.trim() || 'info',
    cookieSecure: boolean(env, 'COOKIE_SECURE', true),
    sessionTtlHours: integer(env, 'SESSION_TTL_HOURS', 12, 1, 24 * 90),
    workerConcurrency: integer(env, 'WORKER_CONCURRENCY', 8, 1, 256),
    shutdownGraceSeconds: integer(env, 'SHUTDOWN_GRACE_SECONDS', 25, 0, 3600),
    encryptionKeys: list(env, 'ENCRYPTION_KEY').map((key) => encryptionKey(key)),
    publicUrl: optionalUrl(env, 'PUBLIC_URL'),
    stripeApiBase: optionalUrl(env, 'STRIPE_API_BASE') ?? 'https://api.stripe.com',
    stripeConnectBase: optionalUrl(env, 'STRIPE_CONNECT_BASE') ?? 'https://connect.stripe.com',
    stripeSecretKey: env.STRIPE_SECRET_KEY?.trim() || undefined,
    stripeClientId: env.STRIPE_CLIENT_ID?.trim() || undefined,
    stripeWebhookSecrets: list(env, 'STRIPE_WEBHOOK_SECRET'),
  };
}

/** Comma-separated values, blanks dropped. */
function list(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

// Checked here so a mistyped key stops the process at start, not at the first credential it stores.
function encryptionKey(value: string): string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || Buffer.from(value, 'base64').length !== 32) {
    throw new ConfigError('ENCRYPTION_KEY must be base64 of 32 bytes (e.g. `openssl rand -base64 32`)');
  }
  return value;
}

function optionalUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}
