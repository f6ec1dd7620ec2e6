import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';
import { SecretBox } from '../../security/secret-box.js';
import { signPayload } from '../../workflows/engine/nodes/webhook.js';
import { webhookSigningSecrets } from '../../workflows/engine/webhook-secrets.js';

const PATH = '/api/v1/automations/webhook-signing-secret';

describe.each(backends)('the webhook signing secret on $name', (backend) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(backend);
  });
  afterAll(async () => {
    await api.close();
  });

  const read = async (tenant: TestTenant) => {
    const response = await tenant.request('GET', PATH);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ secret: string; created_at: string; previous_secret_expires_at: string | null }>();
  };
  const stored = async (tenantId: string) => {
    const [row] = await api.db.query<Record<string, string | null>>(
      'SELECT webhook_secret, previous_webhook_secret FROM workflow_automation_settings WHERE tenant_id = $1',
      [tenantId],
    );
    return row;
  };

  it('is created once, per tenant, and stored encrypted', async () => {
    const a = await api.tenant();
    const b = await api.tenant();
    const first = await read(a);
    expect(first).toMatchObject({ secret: expect.stringMatching(/^wfsec_[0-9a-f]{48}$/) });
    expect(first.previous_secret_expires_at).toBeNull();
    expect((await read(a)).secret).toBe(first.secret);
    expect((await read(b)).secret).not.toBe(first.secret);
    const row = await stored(a.tenantId);
    expect(row?.webhook_secret).not.toContain(first.secret);
    expect(row?.webhook_secret).toMatch(/^v1\./);
  });

  it('is shown to owners and admins only', async () => {
    const tenant = await api.tenant();
    for (const role of ['viewer', 'finance'] as const) {
      const key = await tenant.keyFor(role);
      for (const [method, url] of [
        ['GET', PATH],
        ['POST', `${PATH}/roll`],
      ] as const) {
        const response = await api.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${key}` },
          ...(method === 'POST' ? { payload: {} } : {}),
        });
        expect(response.statusCode, `${role} ${method}`).toBe(403);
      }
    }
    expect(await stored(tenant.tenantId)).toBeUndefined(); // refused before anything was written
    const admin = await api.tenant('admin');
    expect((await read(admin)).secret).toMatch(/^wfsec_/);
  });

  it('rolls, the replaced secret signing alongside until it expires', async () => {
    const tenant = await api.tenant();
    const before = await read(tenant);
    const rolled = await tenant.request('POST', `${PATH}/roll`, { expire_previous_in_hours: 24 });
    expect(rolled.statusCode, rolled.body).toBe(200);
    const after = rolled.json<{ secret: string; previous_secret_expires_at: string }>();
    expect(after.secret).not.toBe(before.secret);
    const hoursLeft = (Date.parse(after.previous_secret_expires_at) - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(23.9);
    expect(hoursLeft).toBeLessThanOrEqual(24);
    const secrets = await webhookSigningSecrets(api.db, api.stripe.secrets, tenant.tenantId);
    expect(secrets).toMatchObject({ current: after.secret, previous: before.secret });
    // A day later the old one no longer signs.
    const tomorrow = new Date(Date.now() + 24 * 3_600_000 + 1000);
    expect(
      (await webhookSigningSecrets(api.db, api.stripe.secrets, tenant.tenantId, tomorrow)).previous,
    ).toBeNull();

    const now = await tenant.request('POST', `${PATH}/roll`, { expire_previous_in_hours: 0 });
    expect(now.json()).toMatchObject({ previous_secret_expires_at: null });
    expect((await stored(tenant.tenantId))?.previous_webhook_secret).toBeNull();
  });

  it('refuses an overlap longer than a week or a fraction of an hour, writing nothing', async () => {
    const tenant = await api.tenant();
    const before = await read(tenant);
    for (const hours of [169, 1.5, -1, '24']) {
      const response = await tenant.request('POST', `${PATH}/roll`, { expire_previous_in_hours: hours });
      expect(response.statusCode, String(hours)).toBe(400);
    }
    expect((await read(tenant)).secret).toBe(before.secret);
  });

  it('encrypts a secret an older version stored in plain text the first time it is read', async () => {
    const tenant = await api.tenant();
    const legacy = `wfsec_${'ab'.repeat(24)}`;
    await api.db.query(
      'INSERT INTO workflow_automation_settings (tenant_id, webhook_secret) VALUES ($1, $2)',
      [tenant.tenantId, legacy],
    );
    expect((await read(tenant)).secret).toBe(legacy);
    expect((await stored(tenant.tenantId))?.webhook_secret).toMatch(/^v1\./);
    expect((await read(tenant)).secret).toBe(legacy);
  });
});

describe('the webhook signing secret without an encryption key', () => {
  it('answers 503 encryption_key_missing', async () => {
    const [backend] = backends;
    if (!backend) throw new Error('no backend');
    const api = await startTestApi(backend, { secrets: new SecretBox([]) });
    try {
      const tenant = await api.tenant();
      const response = await tenant.request('GET', PATH);
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'encryption_key_missing' } });
    } finally {
      await api.close();
    }
  });
});

describe('signPayload', () => {
  it('gives one v1 per secret, each the HMAC of "<t>.<body>"', () => {
    const body = '{"id":"tok_1"}';
    const mac = (secret: string) => createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signPayload(['new', 'old'], body, 1_700_000_000)).toBe(
      `t=1700000000,v1=${mac('new')},v1=${mac('old')}`,
    );
    expect(signPayload('only', body, 1_700_000_000)).toBe(`t=1700000000,v1=${mac('only')}`);
  });
});
