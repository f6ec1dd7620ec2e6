import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createTenant, createUser } from '../access/repository.js';
import { createLogger } from '../logger.js';
import type { TestDatabase } from '../../test/databases.js';
import { backends } from '../../test/databases.js';
import { buildApp } from './app.js';

/** Logs are JSON lines with request ids, and no credential ever reaches them. */
describe('request logging', () => {
  let database: TestDatabase;
  const lines: string[] = [];
  beforeAll(async () => {
    database = await (backends[0] as (typeof backends)[number]).create();
  });
  afterAll(() => database.drop());

  it('logs each request with its id and redacts keys, cookies and passwords', async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const app = await buildApp({
      db: database.db,
      logger: createLogger('debug', sink),
      cookieSecure: false,
      sessionTtlHours: 1,
    });
    const tenant = await createTenant(database.db, 'Log Co');
    const { secret } = await createApiKey(database.db, { tenantId: tenant.id, name: 'k', role: 'owner' });
    await createUser(database.db, {
      tenantId: tenant.id,
      email: 'log@co.test',
      name: 'L',
      role: 'owner',
      password: 'a password to hide',
    });
    const listed = await app.inject({
      method: 'GET',
      url: '/api/v1/contacts',
      headers: { authorization: `Bearer ${secret}`, 'x-request-id': 'req-42' },
    });
    expect(listed.headers['x-request-id']).toBe('req-42');
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'log@co.test', password: 'a password to hide' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    await app.close();

    const parsed = lines.map((line) => JSON.parse(line) as { reqId?: string });
    expect(parsed.some((entry) => entry.reqId === 'req-42')).toBe(true);
    const all = lines.join('\n');
    expect(all).not.toContain(secret);
    expect(all).not.toContain('a password to hide');
    expect(all).not.toContain(cookie.split('=')[1]);
  });
});
