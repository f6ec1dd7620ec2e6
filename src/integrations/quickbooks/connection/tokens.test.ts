import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { backends, postgresOnly, type TestBackend } from '../../../../test/databases.js';
import { enqueue } from '../../../jobs/queue.js';
import { getJob } from '../../../jobs/repository.js';
import { Worker } from '../../../jobs/worker.js';
import { QboReauthorizationRequiredError } from '../types.js';
import { QBO_CDC_JOB } from '../inbound/cdc.js';
import { withQuickBooksSession } from './pause.js';
import { openQboSession } from './session.js';
import { connectQuickBooks, type QboHarness, startQboHarness, storedTokens } from './test-harness.js';

const MINUTE = 60_000;
/** Intuit's strictest behaviour: every refresh rotates, and a superseded refresh token dies at once. */
const strict = { oauth: { rotateRefreshAfterSec: 0, previousRefreshGraceSec: 0 } };

/** Forwards to the emulator's token endpoint and counts the refreshes that reach it. */
async function countingTokenProxy(
  target: string,
): Promise<{ url: string; refreshes: () => number; close(): Promise<void> }> {
  let refreshes = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (body.includes('grant_type=refresh_token')) refreshes += 1;
      void fetch(target, {
        method: 'POST',
        headers: {
          authorization: request.headers.authorization ?? '',
          'content-type': request.headers['content-type'] ?? '',
        },
        body,
      }).then(async (answer) => {
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(await answer.text());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/v1/tokens/bearer`,
    refreshes: () => refreshes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function connected(backend: TestBackend) {
  const h = await startQboHarness(backend, strict);
  const tenant = await h.api.tenant();
  const answer = await connectQuickBooks(tenant);
  if (answer.statusCode !== 201) throw new Error(`connect answered ${answer.statusCode}: ${answer.body}`);
  const realmId = answer.json<{ realm_id: string }>().realm_id;
  // Connecting enqueued the first CDC sweep; these tests run their own jobs one at a time.
  const sweeps = await h.api.db.query('DELETE FROM jobs WHERE tenant_id = $1 AND type = $2 RETURNING id', [
    tenant.tenantId,
    QBO_CDC_JOB,
  ]);
  expect(sweeps).toHaveLength(1);
  return { h, tenant, realmId };
}

let harness: QboHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe.each(backends)('QuickBooks tokens on $name', (backend) => {
  it('refreshes when the access token has less than five minutes left, and stores both new tokens', async () => {
    const { h, tenant } = await connected(backend);
    harness = h;
    const deps = { db: h.api.db, quickbooks: h.quickbooks };
    const first = await storedTokens(h.api.db, h.quickbooks, tenant.tenantId);

    h.emulator.clock.advance(54 * MINUTE); // six minutes left: still used as is
    await openQboSession(deps, tenant.tenantId);
    expect(await storedTokens(h.api.db, h.quickbooks, tenant.tenantId)).toEqual(first);

    h.emulator.clock.advance(2 * MINUTE); // four minutes left: refreshed before use
    const before = h.emulator.clock.now();
    const session = await openQboSession(deps, tenant.tenantId);
    const after = h.emulator.clock.now();
    const second = await storedTokens(h.api.db, h.quickbooks, tenant.tenantId);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token); // rotated, and the newest kept
    const expiresAt = Date.parse(second.access_expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 3600_000);
    expect(await session.client.query('SELECT * FROM CompanyInfo')).toHaveLength(1);
  });

  it('survives the access token expiring mid-sync: 401, one refresh, the call succeeds', async () => {
    const { h, tenant, realmId } = await connected(backend);
    harness = h;
    const { client } = await openQboSession({ db: h.api.db, quickbooks: h.quickbooks }, tenant.tenantId);
    expect(await client.query('SELECT * FROM CompanyInfo')).toHaveLength(1);
    const before = await storedTokens(h.api.db, h.quickbooks, tenant.tenantId);

    h.emulator.oauth.expireAccessTokens(realmId);
    expect(await client.query('SELECT * FROM CompanyInfo')).toHaveLength(1);
    expect(client.calls).toBe(3); // the first read, the refused one, its retry
    expect((await storedTokens(h.api.db, h.quickbooks, tenant.tenantId)).access_token).not.toBe(
      before.access_token,
    );
    expect(await client.query('SELECT * FROM CompanyInfo')).toHaveLength(1);
    expect(client.calls).toBe(4);
  });

  it('shares one refresh among concurrent calls of one session', async () => {
    const { h, tenant, realmId } = await connected(backend);
    harness = h;
    const proxy = await countingTokenProxy(h.quickbooks.settings.tokenUrl);
    try {
      const quickbooks = { ...h.quickbooks, settings: { ...h.quickbooks.settings, tokenUrl: proxy.url } };
      const { client } = await openQboSession({ db: h.api.db, quickbooks }, tenant.tenantId);
      h.emulator.oauth.expireAccessTokens(realmId);
      const answers = await Promise.all([1, 2, 3].map(() => client.query('SELECT * FROM CompanyInfo')));
      expect(answers.map((rows) => rows.length)).toEqual([1, 1, 1]);
      expect(proxy.refreshes()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('marks the connection needs_reauth on invalid_grant, snoozes jobs, and wakes them on reconnect', async () => {
    const { h, tenant } = await connected(backend);
    harness = h;
    const deps = { db: h.api.db, quickbooks: h.quickbooks };
    const connectionId = (
      await h.api.db.query<{ id: string }>(
        "SELECT id FROM integration_connections WHERE tenant_id = $1 AND provider = 'quickbooks'",
        [tenant.tenantId],
      )
    )[0]?.id;
    const { job } = await h.api.db.transaction((tx) =>
      enqueue(tx, { tenantId: tenant.tenantId, type: 'quickbooks.test.read', payload: {}, maxAttempts: 1 }),
    );
    const worker = new Worker({
      db: h.api.db,
      handlers: {
        'quickbooks.test.read': (running) =>
          withQuickBooksSession(deps, running, async ({ client }) =>
            client.query('SELECT * FROM CompanyInfo'),
          ),
      },
    });

    // Someone removes the app in QuickBooks: every token of the grant dies.
    h.emulator.oauth.revoke((await storedTokens(h.api.db, h.quickbooks, tenant.tenantId)).refresh_token);
    expect(await worker.runOnce()).toBe(1);
    const waiting = await getJob(h.api.db, tenant.tenantId, job.id);
    expect(waiting).toMatchObject({ state: 'queued', attempts: 0 }); // one attempt allowed, none used
    expect(waiting?.lastError).toMatch(/SnoozeJobError: QuickBooks needs to be connected again/);
    expect((waiting?.runAt.getTime() ?? 0) - Date.now()).toBeGreaterThan(10 * MINUTE);
    expect(await worker.runOnce()).toBe(0);

    const status = (await tenant.request('GET', '/api/v1/integrations/quickbooks')).json();
    expect(status).toMatchObject({ status: 'needs_reauth', connected: true, needs_reauth: true });
    expect(status.reauth_reason).toMatch(/refused the refresh token.*connect QuickBooks again/);
    await expect(openQboSession(deps, tenant.tenantId)).rejects.toBeInstanceOf(
      QboReauthorizationRequiredError,
    );
    const verify = await tenant.request('POST', '/api/v1/integrations/quickbooks/verify');
    expect(verify.json()).toMatchObject({ status: 'needs_reauth' });

    const reconnected = await connectQuickBooks(tenant);
    expect(reconnected.statusCode, reconnected.body).toBe(201);
    expect(reconnected.json()).toMatchObject({
      id: connectionId,
      status: 'connected',
      needs_reauth: false,
      last_error: null,
    });
    // Reconnecting starts a CDC sweep for what changed meanwhile (not this test's subject).
    const sweeps = await h.api.db.query('DELETE FROM jobs WHERE tenant_id = $1 AND type = $2 RETURNING id', [
      tenant.tenantId,
      QBO_CDC_JOB,
    ]);
    expect(sweeps).toHaveLength(1);
    const woken = await getJob(h.api.db, tenant.tenantId, job.id);
    expect(woken?.runAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(await worker.runOnce()).toBe(1);
    expect(await getJob(h.api.db, tenant.tenantId, job.id)).toMatchObject({
      state: 'succeeded',
      attempts: 1,
    });
    await worker.stop();
  });

  it('fails jobs for good once QuickBooks was disconnected on purpose', async () => {
    const { h, tenant } = await connected(backend);
    harness = h;
    expect((await tenant.request('DELETE', '/api/v1/integrations/quickbooks')).statusCode).toBe(200);
    const { job } = await h.api.db.transaction((tx) =>
      enqueue(tx, { tenantId: tenant.tenantId, type: 'quickbooks.test.read', payload: {} }),
    );
    const deps = { db: h.api.db, quickbooks: h.quickbooks };
    const worker = new Worker({
      db: h.api.db,
      handlers: {
        'quickbooks.test.read': (running) => withQuickBooksSession(deps, running, async () => 'ran'),
      },
    });
    expect(await worker.runOnce()).toBe(1);
    const dead = await getJob(h.api.db, tenant.tenantId, job.id);
    expect(dead).toMatchObject({ state: 'dead' });
    expect(dead?.lastError).toMatch(/QuickBooks is not connected/);
    await worker.stop();
  });
});

describe.runIf(postgresOnly)('QuickBooks refresh races between processes on PostgreSQL', () => {
  const backend = postgresOnly as TestBackend;

  /** Two "worker processes": each its own pg pool and its own integration object, one token proxy. */
  async function twoProcesses() {
    const { h, tenant, realmId } = await connected(backend);
    harness = h;
    const proxy = await countingTokenProxy(h.quickbooks.settings.tokenUrl);
    const processes = [0, 1].map(() => {
      const integration = h.integration();
      return {
        db: h.api.database.connectAgain(),
        quickbooks: { ...integration, settings: { ...integration.settings, tokenUrl: proxy.url } },
      };
    });
    return { h, tenant, realmId, proxy, processes };
  }

  it('two workers refreshing at once: one rotation, both work, no invalid_grant', async () => {
    const { h, tenant, proxy, processes } = await twoProcesses();
    try {
      const before = await storedTokens(h.api.db, h.quickbooks, tenant.tenantId);
      h.emulator.clock.advance(58 * MINUTE);
      const sessions = await Promise.all(processes.map((deps) => openQboSession(deps, tenant.tenantId)));
      expect(proxy.refreshes()).toBe(1);
      for (const { client } of sessions)
        expect(await client.query('SELECT * FROM CompanyInfo')).toHaveLength(1);
      const after = await storedTokens(h.api.db, h.quickbooks, tenant.tenantId);
      expect(after.refresh_token).not.toBe(before.refresh_token);
      expect((await tenant.request('GET', '/api/v1/integrations/quickbooks')).json()).toMatchObject({
        status: 'connected',
        last_error: null,
      });
    } finally {
      await proxy.close();
    }
  });

  it('two workers refused the same expired token mid-sync: one refresh, both calls succeed', async () => {
    const { h, tenant, realmId, proxy, processes } = await twoProcesses();
    try {
      const sessions = await Promise.all(processes.map((deps) => openQboSession(deps, tenant.tenantId)));
      expect(proxy.refreshes()).toBe(0);
      h.emulator.oauth.expireAccessTokens(realmId);
      const answers = await Promise.all(
        sessions.map(({ client }) => client.query('SELECT * FROM CompanyInfo')),
      );
      expect(answers.map((rows) => rows.length)).toEqual([1, 1]);
      expect(proxy.refreshes()).toBe(1);
      expect((await tenant.request('GET', '/api/v1/integrations/quickbooks')).json().status).toBe(
        'connected',
      );
    } finally {
      await proxy.close();
    }
  });
});
