import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';
import { PermanentJobError } from '../../jobs/errors.js';
import type { Job } from '../../jobs/job.js';
import { Worker } from '../../jobs/worker.js';
import {
  type Connection,
  credentialContext,
  insertConnection,
  setWebhookEndpoint,
} from '../../store/repositories/integration-connections.js';
import { stripeJobHandlers } from './jobs.js';
import { createWebhookProcessor, STRIPE_WEBHOOK_JOB } from './webhook-processor.js';
import { signStripePayload } from './webhook-signature.js';

const PLATFORM_SECRETS = ['whsec_platform_new', 'whsec_platform_old'];

describe.each(backends)('Stripe webhook ingest on $name', (backend) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(backend, { stripe: { webhookSecrets: PLATFORM_SECRETS } });
  });
  afterAll(() => api.close());

  /** A tenant with a live connection to `account`, made through the repository (no Stripe call). */
  const connectedTenant = async (account: string, webhookSecret?: string) => {
    const tenant = await api.tenant('owner');
    let connection: Connection = await insertConnection(api.db, {
      tenantId: tenant.tenantId,
      provider: 'stripe',
      method: 'oauth',
      externalAccountId: account,
      connectedBy: 'user:usr_test',
      sealCredentials: (row) =>
        api.stripe.secrets.encrypt('{"kind":"oauth"}', credentialContext(row, 'credentials')),
    });
    if (webhookSecret) {
      const sealed = api.stripe.secrets.encrypt(
        webhookSecret,
        credentialContext(connection, 'webhook_secret'),
      );
      connection = await setWebhookEndpoint(api.db, connection, 'we_test', sealed);
    }
    return { tenant, connection };
  };

  const event = (type: string, object: Record<string, unknown>, account?: string) => ({
    id: `evt_${randomBytes(8).toString('hex')}`,
    object: 'event',
    type,
    ...(account ? { account } : {}),
    data: { object },
  });

  const deliver = (
    body: string,
    options: { secrets?: string[]; timestamp?: number; header?: string; contentType?: string } = {},
  ) =>
    api.app.inject({
      method: 'POST',
      url: '/webhooks/stripe',
      payload: body,
      headers: {
        'content-type': options.contentType ?? 'application/json; charset=utf-8',
        'stripe-signature':
          options.header ??
          signStripePayload(
            body,
            options.secrets ?? [PLATFORM_SECRETS[0] ?? ''],
            options.timestamp ?? Math.floor(Date.now() / 1000),
          ),
      },
    });

  const inbox = (eventId: string) =>
    api.db.query<Record<string, unknown>>('SELECT * FROM webhook_inbox WHERE event_id = $1', [eventId]);
  const jobsFor = (eventId: string) =>
    api.db.query<Record<string, unknown>>('SELECT * FROM jobs WHERE dedupe_key = $1', [
      `stripe-event:${eventId}`,
    ]);

  it('stores a verified event once, enqueues one job in the same transaction, answers 200', async () => {
    const { tenant } = await connectedTenant('acct_ingest1');
    const evt = event('invoice.paid', { id: 'in_123', object: 'invoice' }, 'acct_ingest1');
    // Odd spacing and key order: only the raw bytes carry this signature.
    const body = JSON.stringify(evt, null, 3);
    const response = await deliver(body);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ received: true, duplicate: false });

    const rows = await inbox(evt.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      provider: 'stripe',
      tenant_id: tenant.tenantId,
      account: 'acct_ingest1',
      type: 'invoice.paid',
      status: 'pending',
      raw_body_sha256: createHash('sha256').update(body).digest('hex'),
      payload: evt,
    });
    const jobs = await jobsFor(evt.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      tenant_id: tenant.tenantId,
      type: STRIPE_WEBHOOK_JOB,
      ordering_key: 'stripe:invoice:in_123',
      payload: { inbox_id: rows[0]?.id },
      state: 'queued',
    });

    // A redelivery, freshly signed, and a burst of concurrent copies: still one row, one job.
    const again = await deliver(body);
    expect(again.json()).toEqual({ received: true, duplicate: true });
    const burst = await Promise.all([1, 2, 3, 4].map(() => deliver(body)));
    expect(burst.map((r) => r.json())).toEqual(burst.map(() => ({ received: true, duplicate: true })));
    expect(await inbox(evt.id)).toHaveLength(1);
    expect(await jobsFor(evt.id)).toHaveLength(1);
  });

  it('refuses forged, wrongly signed, stale or unsigned deliveries with 400 and stores nothing', async () => {
    await connectedTenant('acct_forged');
    const evt = event('invoice.paid', { id: 'in_f', object: 'invoice' }, 'acct_forged');
    const body = JSON.stringify(evt);
    const forged = body.replace('in_f', 'in_g');
    const now = Math.floor(Date.now() / 1000);
    const attempts = [
      deliver(forged, { header: signStripePayload(body, [PLATFORM_SECRETS[0] ?? ''], now) }),
      deliver(body, { secrets: ['whsec_attacker'] }),
      deliver(body, { timestamp: now - 360 }),
      deliver(body, { timestamp: now + 360 }),
      deliver(body, { header: '' }),
      deliver(body, { header: 'nonsense' }),
    ];
    const expected = ['no_matching_signature', 'no_matching_signature', 'timestamp_outside_tolerance'];
    for (const [index, response] of (await Promise.all(attempts)).entries()) {
      expect(response.statusCode, `attempt ${index}: ${response.body}`).toBe(400);
      expect(response.json().error.code).toBe('invalid_signature');
      if (expected[index]) expect(response.json().error.message).toContain(expected[index]);
    }
    const signedNonsense = await deliver('{"not":"an event"}');
    expect(signedNonsense.statusCode).toBe(400);
    expect(signedNonsense.json().error.code).toBe('invalid_event');
    expect(await inbox(evt.id)).toHaveLength(0);
    expect(await jobsFor(evt.id)).toHaveLength(0);
    // The old platform secret still works while rotating.
    expect((await deliver(body, { secrets: [PLATFORM_SECRETS[1] ?? ''] })).statusCode).toBe(200);
  });

  it('an event for an account nobody connected is stored as ignored and acknowledged, with no job', async () => {
    const evt = event('invoice.paid', { id: 'in_x', object: 'invoice' }, 'acct_stranger');
    const response = await deliver(JSON.stringify(evt));
    expect(response.statusCode).toBe(200);
    const [row] = await inbox(evt.id);
    expect(row).toMatchObject({ status: 'ignored', tenant_id: null, last_error: null });
    expect(String(row?.note)).toContain('acct_stranger');
    expect(await jobsFor(evt.id)).toHaveLength(0);
  });

  it('routes an event without `account` by the connection whose own endpoint secret signed it', async () => {
    const { tenant } = await connectedTenant('acct_direct', 'whsec_connection_direct');
    const evt = event('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent' });
    const response = await deliver(JSON.stringify(evt), { secrets: ['whsec_connection_direct'] });
    expect(response.statusCode, response.body).toBe(200);
    expect((await inbox(evt.id))[0]).toMatchObject({ tenant_id: tenant.tenantId, status: 'pending' });
    // The platform secret names no connection, and the event names no account: nobody's.
    const platformOnly = event('payment_intent.succeeded', { id: 'pi_2', object: 'payment_intent' });
    await deliver(JSON.stringify(platformOnly));
    expect((await inbox(platformOnly.id))[0]).toMatchObject({ tenant_id: null, status: 'ignored' });
  });

  it('keeps JSON parsing for every other route', async () => {
    const tenant = await api.tenant('owner');
    const response = await tenant.request('POST', '/api/v1/contacts', {
      kind: 'individual',
      name: 'Still JSON',
    });
    expect(response.statusCode).toBe(201);
  });

  it('the worker applies deauthorization, and records foreign and unknown types as ignored with a note', async () => {
    const { tenant, connection } = await connectedTenant('acct_revoked');
    const deauth = event(
      'account.application.deauthorized',
      { id: 'ca_platform', object: 'application' },
      'acct_revoked',
    );
    // An invoice another ledgerbridge business put in Stripe: not ours, ignored (no Stripe call needed).
    const paid = event(
      'invoice.voided',
      { id: 'in_later', object: 'invoice', metadata: { ledgerbridge_tenant_id: 'ten_someone_else' } },
      'acct_revoked',
    );
    const unknown = event('customer.created', { id: 'cus_1', object: 'customer' }, 'acct_revoked');
    for (const evt of [paid, unknown, deauth])
      expect((await deliver(JSON.stringify(evt))).statusCode).toBe(200);

    const worker = new Worker({ db: api.db, handlers: stripeJobHandlers({ db: api.db }) });
    while ((await worker.runOnce()) > 0);

    const [paidRow] = await inbox(paid.id);
    expect(paidRow).toMatchObject({ status: 'ignored', attempts: 1, last_error: null });
    expect(String(paidRow?.note)).toMatch(/belongs to another ledgerbridge business/);
    expect(String((await inbox(unknown.id))[0]?.note)).toContain('does not use customer.created');
    expect((await inbox(deauth.id))[0]).toMatchObject({ status: 'processed', note: null });
    expect((await inbox(deauth.id))[0]?.processed_at).toBeInstanceOf(Date);
    for (const evt of [paid, unknown, deauth]) expect((await jobsFor(evt.id))[0]?.state).toBe('succeeded');

    const [row] = await api.db.query<Record<string, unknown>>(
      'SELECT status, credentials, disconnected_by FROM integration_connections WHERE tenant_id = $1 AND id = $2',
      [tenant.tenantId, connection.id],
    );
    expect(row).toEqual({ status: 'disconnected', credentials: null, disconnected_by: 'stripe' });
    expect((await tenant.request('GET', '/api/v1/integrations/stripe')).json()).toMatchObject({
      connected: false,
      status: 'disconnected',
    });
  });

  it('the processor is idempotent and refuses a job it cannot place', async () => {
    const { tenant } = await connectedTenant('acct_rerun');
    const evt = event(
      'invoice.voided',
      { id: 'in_rerun', object: 'invoice', metadata: { ledgerbridge_tenant_id: 'ten_someone_else' } },
      'acct_rerun',
    );
    await deliver(JSON.stringify(evt));
    const [job] = await jobsFor(evt.id);
    const processor = createWebhookProcessor(api.db);
    const asJob = (payload: unknown) => ({ id: 'job_x', tenantId: tenant.tenantId, payload }) as Job;
    const context = { signal: new AbortController().signal, heartbeat: async () => undefined };
    expect(await processor(asJob(job?.payload), context)).toMatchObject({ status: 'ignored' });
    expect(await processor(asJob(job?.payload), context)).toEqual({ status: 'ignored', skipped: true });
    expect((await inbox(evt.id))[0]?.attempts).toBe(1);
    await expect(processor(asJob({}), context)).rejects.toBeInstanceOf(PermanentJobError);
    await expect(processor(asJob({ inbox_id: 'whk_missing' }), context)).rejects.toBeInstanceOf(
      PermanentJobError,
    );
  });
});
