import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../server.js';
import { WebhookReceiver } from '../webhooks/receiver.js';
import { stripeClientFor } from '../sdk.js';

const REDIRECT = 'http://127.0.0.1:9/stripe/callback';

/** Connect OAuth end to end: the Authorize page, the SDK's token exchange, acting, deauthorizing. */
describe('Stripe emulator Connect OAuth', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let receiver: WebhookReceiver;
  const sdk = (key: string) => stripeClientFor(emulator.url, key);

  beforeAll(async () => {
    emulator = await startStripeEmulator({ ratePerSecond: 0, webhookRetry: { baseDelayMs: 5 } });
    stripe = sdk(emulator.secretKey);
    receiver = new WebhookReceiver();
    const url = await receiver.start();
    await stripe.webhookEndpoints.create({
      url,
      connect: true,
      enabled_events: ['account.application.authorized', 'account.application.deauthorized'],
    });
  });
  afterAll(async () => {
    await emulator.close();
    await receiver.stop();
  });

  const authorizeUrl = (params: Record<string, string>) =>
    `${emulator.url}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: emulator.clientId,
      scope: 'read_write',
      redirect_uri: REDIRECT,
      ...params,
    }).toString()}`;

  /** Opens the Authorize page and presses Authorize, as a person would; returns the redirect. */
  async function authorize(state: string): Promise<URL> {
    const page = await fetch(authorizeUrl({ state }));
    const html = await page.text();
    const authorization = /name="authorization" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const approved = await fetch(`${emulator.url}/oauth/authorize/approve`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ authorization, business_name: 'Corner Bakery' }).toString(),
    });
    expect(approved.status).toBe(302);
    return new URL(approved.headers.get('location') ?? '');
  }

  it('renders an escaped Authorize page for the platform, and an error page for a stranger', async () => {
    const page = await fetch(
      authorizeUrl({ state: 's1', 'stripe_user[business_name]': '<script>alert(1)</script>' }),
    );
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain(emulator.state.platform.displayName);
    expect(html).toContain('read_write');
    expect(html).toMatch(/<button[^>]*>Authorize<\/button>/);
    expect(html).toContain('action="/oauth/authorize/approve"');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    const stranger = await fetch(authorizeUrl({ client_id: 'ca_unknown' }));
    expect(stranger.status).toBe(400);
  });

  it('redirects a denial back with access_denied and the state', async () => {
    const html = await (await fetch(authorizeUrl({ state: 'deny-me' }))).text();
    const href = /id="deny" href="([^"]+)"/.exec(html)?.[1] ?? '';
    const denied = await fetch(new URL(href.replaceAll('&#38;', '&'), emulator.url), { redirect: 'manual' });
    const location = new URL(denied.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      error: 'access_denied',
      state: 'deny-me',
    });
  });

  it('connects an account: code, token exchange through the SDK, acting for it, deauthorizing', async () => {
    const back = await authorize('csrf-123');
    expect(back.searchParams.get('state')).toBe('csrf-123');
    const code = back.searchParams.get('code') ?? '';
    expect(code).toMatch(/^ac_/);

    const token = await stripe.oauth.token({ grant_type: 'authorization_code', code });
    expect(token).toMatchObject({ livemode: false, scope: 'read_write', token_type: 'bearer' });
    expect(token.access_token).toMatch(/^sk_test_/);
    expect(token.refresh_token).toMatch(/^rt_/);
    expect(token.stripe_publishable_key).toMatch(/^pk_test_/);
    const accountId = token.stripe_user_id ?? '';
    expect(emulator.state.account(accountId)?.connectedTo).toBe(emulator.state.platform.id);

    const reused = await stripe.oauth
      .token({ grant_type: 'authorization_code', code })
      .catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(Stripe.errors.StripeInvalidGrantError);
    expect((reused as Error).message).toBe(`Authorization code does not exist: ${code}`);

    const customer = await stripe.customers.create({ name: 'Bakery customer' }, { stripeAccount: accountId });
    expect((await stripe.customers.list({ limit: 100 })).data.map((c) => c.id)).not.toContain(customer.id);
    const asAccount = sdk(token.access_token ?? '');
    expect((await asAccount.customers.list()).data.map((c) => c.id)).toEqual([customer.id]);
    expect((await asAccount.accounts.retrieveCurrent()).business_profile?.name).toBe('Corner Bakery');

    const refreshed = await stripe.oauth.token({
      grant_type: 'refresh_token',
      refresh_token: token.refresh_token ?? '',
    });
    expect(refreshed.stripe_user_id).toBe(accountId);

    const result = await stripe.oauth.deauthorize({
      client_id: emulator.clientId,
      stripe_user_id: accountId,
    });
    expect(result).toEqual({ stripe_user_id: accountId });
    const forbidden = await stripe.customers.list({}, { stripeAccount: accountId }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(Stripe.errors.StripePermissionError);
    const revoked = await asAccount.customers.list().catch((e: unknown) => e);
    expect(revoked).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    // The account's data stays; only the platform's access ends.
    expect(emulator.state.account(accountId)?.find('customer', customer.id)).toBeDefined();
    const again = await stripe.oauth
      .token({ grant_type: 'refresh_token', refresh_token: token.refresh_token ?? '' })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidGrantError);

    await emulator.webhooks.idle();
    const events = receiver.events().filter((e) => e.account === accountId);
    expect(events.map((e) => e.type)).toEqual([
      'account.application.authorized',
      'account.application.deauthorized',
    ]);
    expect(events[1]?.data.object).toEqual({
      id: emulator.clientId,
      object: 'application',
      name: emulator.state.platform.displayName,
    });
  });

  it('expires codes after five minutes and requires the platform secret key', async () => {
    const code = (await authorize('late')).searchParams.get('code') ?? '';
    const stranger = await sdk('sk_test_not_a_platform_key_at_all')
      .oauth.token({ grant_type: 'authorization_code', code })
      .catch((e: unknown) => e);
    expect(stranger).toBeInstanceOf(Stripe.errors.StripeInvalidClientError);
    emulator.state.clock.advance(5 * 60 + 1);
    const expired = await stripe.oauth
      .token({ grant_type: 'authorization_code', code })
      .catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(Stripe.errors.StripeInvalidGrantError);
    expect((expired as Error).message).toMatch(/expired/);
  });
});
