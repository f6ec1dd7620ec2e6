import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../src/cli/main.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { DataDirBusyError } from '../src/runtime/data-dir-lock.js';
import { DatabaseUnreadableError, openDatabase } from '../src/runtime/database.js';
import type { FirstRunCredentials } from '../src/runtime/first-run.js';
import { PortInUseError, runProcess } from '../src/runtime/process.js';

/** The product as `npm start` runs it: real HTTP on a free port, embedded PGlite in a fresh directory. */
describe('ledgerbridge start', () => {
  const dirs: string[] = [];
  const freshDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-runtime-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  it('serves health, readiness and a working first-run account, then drains on stop', async () => {
    const dataDir = freshDataDir();
    // The sandbox (emulators, demo business) has its own test: test/sandbox.test.ts.
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      WORKER_CONCURRENCY: '2',
      SANDBOX: 'off',
    });
    const banner = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const running = await runProcess(config, createLogger('silent'), { api: true, worker: true });
    const url = running.url ?? '';
    try {
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready', database: 'pglite' });
      expect(String(banner.mock.calls[0]?.[0])).toContain('API key:');

      const sandboxFile = join(dataDir, 'sandbox.json');
      expect(statSync(sandboxFile).mode & 0o777).toBe(0o600);
      const credentials = (await import(sandboxFile, { with: { type: 'json' } }))
        .default as FirstRunCredentials;
      const me = await fetch(`${url}/api/v1/me`, {
        headers: { authorization: `Bearer ${credentials.api_key}` },
      });
      expect(await me.json()).toMatchObject({ role: 'owner', tenant: { id: credentials.tenant_id } });

      // The embedded database belongs to this process while it runs.
      await expect(openDatabase(config)).rejects.toBeInstanceOf(DataDirBusyError);

      // A request in flight when the process is asked to stop still gets its answer.
      const login = fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: credentials.owner_email, password: credentials.owner_password }),
      });
      // Long enough for a busy event loop (the embedded database runs on it) to have read the request;
      // the login's password hashing keeps it in flight well past this.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const stopped = running.stop();
      expect((await login).status).toBe(200);
      await stopped;
    } finally {
      await running.stop();
    }
    // Stopped means released: the directory can be opened again, and the account is still there.
    const reopened = await openDatabase(config);
    const tenants = await reopened.db.query('SELECT count(*)::int AS n FROM tenants');
    await reopened.close();
    expect(tenants).toEqual([{ n: 1 }]);
  });

  it('runs the access commands of the CLI against the configured database', async () => {
    const dataDir = freshDataDir();
    vi.stubEnv('DATA_DIR', dataDir);
    vi.stubEnv('DATABASE_URL', '');
    vi.stubEnv('LEDGERBRIDGE_PASSWORD', 'a sufficiently long password');
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const run = async (...args: string[]) => {
      out.mockClear();
      await buildCli().parseAsync(['node', 'ledgerbridge', ...args]);
      return JSON.parse(out.mock.calls.map((call) => String(call[0])).join(''));
    };
    const tenant = await run('tenant', 'create', '--name', 'Acme Plumbing');
    const user = await run(
      'user',
      'create',
      '--tenant',
      tenant.id,
      '--email',
      'a@acme.test',
      '--name',
      'Ada',
      '--role',
      'admin',
    );
    expect(user).toMatchObject({ email: 'a@acme.test', role: 'admin' });
    const key = await run('api-key', 'create', '--tenant', tenant.id, '--role', 'viewer');
    expect(key.secret).toMatch(/^lb_/);
    expect(await run('migrate')).toEqual({ applied: [] });

    const database = await openDatabase(loadConfig({ DATA_DIR: dataDir }));
    const stored = await database.db.query('SELECT secret_hash, role FROM api_keys');
    const users = await database.db.query('SELECT password_hash FROM users');
    await database.close();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(key.secret);
    expect(String(users[0]?.password_hash)).toMatch(/^scrypt\$/);
    vi.unstubAllEnvs();
  });

  it('stops with a clear error when its port is taken, leaving the embedded database closed', async () => {
    const dataDir = freshDataDir();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const config = loadConfig({ DATA_DIR: dataDir, PORT: String(port), SANDBOX: 'off' });
      await expect(runProcess(config, createLogger('silent'), { api: true, worker: true })).rejects.toThrow(
        PortInUseError,
      );
      // Closed and unlocked: the next process opens it.
      const database = await openDatabase(config);
      await database.close();
    } finally {
      taken.close();
    }
  });

  it('names a damaged embedded database and what to do, instead of a PGlite stack trace', async () => {
    const dataDir = freshDataDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    await (await openDatabase(config)).close();
    writeFileSync(join(dataDir, 'pglite', 'global', 'pg_control'), Buffer.alloc(8192, 7));
    const failure = openDatabase(config);
    await expect(failure).rejects.toThrow(DatabaseUnreadableError);
    await expect(failure).rejects.toThrow(/Move that directory aside/);
  });

  it('refuses a bad setting with a message naming it', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT must be an integer/);
    expect(() => loadConfig({ COOKIE_SECURE: 'maybe' })).toThrow(/COOKIE_SECURE/);
  });
});
