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
  /** Outgoing email: an SMTP server, or none (every message stays in the built-in mail catcher). */
  readonly mail: MailConfig;
  /** QuickBooks Online app credentials (Intuit developer portal). */
  readonly quickbooksClientId: string | undefined;
  readonly quickbooksClientSecret: string | undefined;
  /** Which Intuit API host companies are reached on. */
  readonly quickbooksEnvironment: 'production' | 'sandbox';
  /** Overrides the API host chosen by the environment (an emulator). */
  readonly quickbooksApiBase: string | undefined;
  /** One origin serving Intuit's OAuth paths (an emulator); unset means Intuit's own hosts. */
  readonly quickbooksOAuthBase: string | undefined;
  /** Verifier tokens of the app's webhook endpoint; several while rotating. */
  readonly quickbooksWebhookVerifierTokens: readonly string[];
  /** Embedded installs without Stripe/QuickBooks credentials run the emulators in-process (src/runtime/sandbox). */
  readonly sandbox: boolean;
}

export interface MailConfig {
  readonly smtp: SmtpConfig | undefined;
  /** The sender address (`billing@example.com` or `Example Billing <billing@example.com>`). */
  readonly from: string;
}

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
  readonly secure: boolean;
  readonly user: string | undefined;
  readonly password: string | undefined;
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
    mail: mailConfig(env),
    quickbooksClientId: env.QUICKBOOKS_CLIENT_ID?.trim() || undefined,
    quickbooksClientSecret: env.QUICKBOOKS_CLIENT_SECRET?.trim() || undefined,
    quickbooksEnvironment: quickbooksEnvironment(env),
    quickbooksApiBase: optionalUrl(env, 'QUICKBOOKS_API_BASE'),
    quickbooksOAuthBase: optionalUrl(env, 'QUICKBOOKS_OAUTH_BASE'),
    quickbooksWebhookVerifierTokens: list(env, 'QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN'),
    sandbox: boolean(env, 'SANDBOX', true),
  };
}

function quickbooksEnvironment(env: NodeJS.ProcessEnv): 'production' | 'sandbox' {
  const raw = env.QUICKBOOKS_ENVIRONMENT?.trim().toLowerCase();
  if (!raw || raw === 'production') return 'production';
  if (raw === 'sandbox') return 'sandbox';
  throw new ConfigError(`QUICKBOOKS_ENVIRONMENT must be production or sandbox, got "${raw}"`);
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

// The catcher needs some sender to show; a real server would refuse or junk a made-up one.
const CATCHER_FROM = 'ledgerbridge <no-reply@ledgerbridge.localhost>';
const SMTP_URL_SHAPE =
  'SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465';

function mailConfig(env: NodeJS.ProcessEnv): MailConfig {
  const url = env.SMTP_URL?.trim();
  const host = env.SMTP_HOST?.trim();
  if (url && host) throw new ConfigError('Set SMTP_URL or SMTP_HOST (with SMTP_PORT, SMTP_USER…), not both');
  const smtp = url ? smtpFromUrl(url) : host ? smtpFromParts(env, host) : undefined;
  const from = env.MAIL_FROM?.trim() || undefined;
  if (from !== undefined && !/^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(from)) {
    throw new ConfigError(`MAIL_FROM must be an address or "Name <address>", got "${from}"`);
  }
  if (smtp && !from) throw new ConfigError('MAIL_FROM is required when SMTP is configured');
  return { smtp, from: from ?? CATCHER_FROM };
}

function smtpFromUrl(raw: string): SmtpConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(SMTP_URL_SHAPE);
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new ConfigError(SMTP_URL_SHAPE);
  }
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

function smtpFromParts(env: NodeJS.ProcessEnv, host: string): SmtpConfig {
  const port = env.SMTP_PORT?.trim() ? integer(env, 'SMTP_PORT', 587, 1, 65_535) : undefined;
  const secure = boolean(env, 'SMTP_SECURE', port === 465);
  return {
    host,
    port: port ?? (secure ? 465 : 587),
    secure,
    user: env.SMTP_USER?.trim() || undefined,
    password: env.SMTP_PASSWORD || undefined,
  };
}
