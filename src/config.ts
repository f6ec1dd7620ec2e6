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
  };
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
