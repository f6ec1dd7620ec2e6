import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from './server.js';
import { stripeClientFor } from './sdk.js';

/** The kernel as the official SDK sees it: auth, errors, Stripe-Account, rate limits, faults. */
describe('Stripe emulator kernel', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    emulator = await startStripeEmulator({ ratePerSecond: 0 });
    stripe = stripeClientFor(emulator.url, emulator.secretKey);
  });
  afterAll(() => emulator.close());

  const sdk = (key: string) => stripeClientFor(emulator.url, key);

  it('answers the SDK with the platform account', async () => {
    const account = await stripe.accounts.retrieveCurrent();
    expect(account).toMatchObject({
      id: emulator.state.platform.id,
      object: 'account',
      charges_enabled: true,
    });
  });

  it('replays an idempotent request with the response first sent, not the object as it is now', async () => {
    const key = `create-${Math.random().toString(36).slice(2)}`;
    const created = await stripe.customers.create({ name: 'Ada' }, { idempotencyKey: key });
    await stripe.customers.update(created.id, { name: 'Ada Lovelace' });
    const replayed = await stripe.customers.create({ name: 'Ada' }, { idempotencyKey: key });
    expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(replayed).toMatchObject({ id: created.id, name: 'Ada' });
    expect((await stripe.customers.retrieve(created.id)) as Stripe.Customer).toMatchObject({
      name: 'Ada Lovelace',
    });
    const other = await stripe.customers.create({ name: 'Grace' }, { idempotencyKey: key }).catch((e) => e);
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('refuses a bad key with 401 as Stripe does', async () => {
    const error = await sdk('sk_test_wrong_key_123456')
      .accounts.retrieveCurrent()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((error as Stripe.errors.StripeError).statusCode).toBe(401);
  });

  it('refuses Stripe-Account for an account not connected to the platform', async () => {
    const stranger = emulator.state.createAccount('Stranger');
    const error = await stripe.accounts
      .retrieveCurrent({}, { stripeAccount: stranger.id })
      .catch((e: unknown) => e);
    expect((error as Stripe.errors.StripeError).statusCode).toBe(403);
    stranger.connectedTo = emulator.state.platform.id;
    const account = await stripe.accounts.retrieveCurrent({}, { stripeAccount: stranger.id });
    expect(account.id).toBe(stranger.id);
  });

  it('rate limits per account with 429 rate_limit_error', async () => {
    emulator.traffic.ratePerSecond = 3;
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => stripe.accounts.retrieveCurrent()),
      );
      const limited = results.filter((r) => r.status === 'rejected');
      expect(limited.length).toBeGreaterThan(0);
      const reason = (limited[0] as PromiseRejectedResult).reason as Stripe.errors.StripeError;
      expect(reason).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(reason.statusCode).toBe(429);
    } finally {
      emulator.traffic.ratePerSecond = 0;
    }
  });

  it('injects 500s through the admin API', async () => {
    const set = await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'error', count: 1, path_prefix: '/v1/account' }),
    });
    expect(set.status).toBe(200);
    const error = await stripe.accounts.retrieveCurrent().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((await stripe.accounts.retrieveCurrent()).object).toBe('account');
  });

  it('drops the connection on a timeout fault, and the SDK reports a connection error', async () => {
    // The SDK silently retries one dropped connection (a stale keep-alive socket looks the same),
    // so it takes two dropped connections in a row to surface the error.
    emulator.traffic.addFault({
      kind: 'timeout',
      latencyMs: 50,
      pathPrefix: '/v1/account',
      method: 'GET',
      count: 2,
    });
    const error = await stripe.accounts.retrieveCurrent().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
  });
});
