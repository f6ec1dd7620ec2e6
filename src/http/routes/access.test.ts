import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';
import { createTenant, createUser } from '../../access/repository.js';

describe.each(backends)('access API on $name', (backend) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(backend);
  });
  afterAll(() => api.close());

  it('signs in with a password, sets an http-only session cookie, and signs out', async () => {
    const tenant = await createTenant(api.db, 'Cookie Co');
    await createUser(api.db, {
      tenantId: tenant.id,
      email: 'Finance@Cookie.test',
      name: 'Fin',
      role: 'finance',
      password: 'correct horse battery',
    });
    const login = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'finance@cookie.test', password: 'correct horse battery' },
    });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/lb_session=[^;]+;/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    const cookie = setCookie.split(';')[0] ?? '';

    const me = await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ tenant: { id: tenant.id }, role: 'finance' });

    await api.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } });
    const after = await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('locks an email after five failed sign-ins, even with the right password', async () => {
    const tenant = await createTenant(api.db, 'Throttle Co');
    await createUser(api.db, {
      tenantId: tenant.id,
      email: 'ow@throttle.test',
      name: 'Ow',
      role: 'owner',
      password: 'the right password',
    });
    const attempt = (password: string, ip: string) =>
      api.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'ow@throttle.test', password },
        remoteAddress: ip,
      });
    for (let i = 0; i < 5; i++) expect((await attempt('wrong', `10.0.0.${i}`)).statusCode).toBe(401);
    const locked = await attempt('the right password', '10.0.1.1');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('too_many_attempts');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('shows an API key secret once, stores only its hash, and revokes it', async () => {
    const owner = await api.tenant('owner');
    const created = await owner.request('POST', '/api/v1/api-keys', { name: 'books', role: 'finance' });
    expect(created.statusCode).toBe(201);
    const { id, secret } = created.json();
    expect(secret).toMatch(/^lb_/);
    const stored = await api.db.query('SELECT secret_hash FROM api_keys WHERE id = $1', [id]);
    expect(JSON.stringify(stored)).not.toContain(secret);
    const listed = await owner.request('GET', '/api/v1/api-keys');
    expect(JSON.stringify(listed.json())).not.toContain(secret);

    const use = () =>
      api.app.inject({
        method: 'GET',
        url: '/api/v1/contacts',
        headers: { authorization: `Bearer ${secret}` },
      });
    expect((await use()).statusCode).toBe(200);
    expect((await owner.request('DELETE', `/api/v1/api-keys/${id}`)).statusCode).toBe(200);
    expect((await use()).statusCode).toBe(401);
  });

  it('keeps access management to owners and admins, and owners to owners', async () => {
    const tenant = await api.tenant('owner');
    const finance = await tenant.keyFor('finance');
    const admin = await tenant.keyFor('admin');
    const asKey = (key: string, payload: Record<string, unknown>) =>
      api.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: { authorization: `Bearer ${key}` },
        payload,
      });
    expect((await asKey(finance, { name: 'x', role: 'viewer' })).statusCode).toBe(403);
    expect((await asKey(admin, { name: 'x', role: 'finance' })).statusCode).toBe(201);
    expect((await asKey(admin, { name: 'x', role: 'owner' })).statusCode).toBe(403);
  });
});
