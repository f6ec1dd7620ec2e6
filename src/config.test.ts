import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('integration settings', () => {
  it('default to real Stripe with nothing configured', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      stripeApiBase: 'https://api.stripe.com',
      stripeConnectBase: 'https://connect.stripe.com',
      stripeSecretKey: undefined,
      stripeClientId: undefined,
      stripeWebhookSecrets: [],
      publicUrl: undefined,
      encryptionKeys: [],
    });
  });

  it('read URLs without a trailing slash and secrets as comma-separated lists', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://books.example.com/',
      STRIPE_API_BASE: 'http://127.0.0.1:12111',
      STRIPE_WEBHOOK_SECRET: 'whsec_new, whsec_old,',
      STRIPE_CLIENT_ID: ' ca_123 ',
    });
    expect(config.publicUrl).toBe('https://books.example.com');
    expect(config.stripeApiBase).toBe('http://127.0.0.1:12111');
    expect(config.stripeWebhookSecrets).toEqual(['whsec_new', 'whsec_old']);
    expect(config.stripeClientId).toBe('ca_123');
  });

  it('stop at start on a URL that is not http(s)', () => {
    expect(() => loadConfig({ PUBLIC_URL: 'books.example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ STRIPE_API_BASE: 'ftp://x' })).toThrow(/STRIPE_API_BASE/);
  });
});
