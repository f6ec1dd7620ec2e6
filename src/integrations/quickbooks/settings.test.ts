import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';
import { quickbooksSettingsFromConfig, unconfiguredQuickBooksIntegration } from './settings.js';

describe('QuickBooks settings from the environment', () => {
  it('defaults to Intuit’s production hosts with nothing configured', () => {
    const settings = quickbooksSettingsFromConfig(loadConfig({}));
    expect(settings).toEqual(unconfiguredQuickBooksIntegration().settings);
    expect(settings).toMatchObject({
      apiBase: 'https://quickbooks.api.intuit.com',
      authorizeUrl: 'https://appcenter.intuit.com/connect/oauth2',
      tokenUrl: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
      revokeUrl: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
      minorVersion: 75,
      timeoutMs: 60_000,
      webhookVerifierTokens: [],
    });
  });

  it('picks the sandbox API host, and lets an emulator override API and OAuth origins', () => {
    const sandbox = quickbooksSettingsFromConfig(loadConfig({ QUICKBOOKS_ENVIRONMENT: 'sandbox' }));
    expect(sandbox.apiBase).toBe('https://sandbox-quickbooks.api.intuit.com');
    expect(sandbox.tokenUrl).toBe('https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer');
    const emulated = quickbooksSettingsFromConfig(
      loadConfig({
        QUICKBOOKS_ENVIRONMENT: 'sandbox',
        QUICKBOOKS_API_BASE: 'http://127.0.0.1:4010/',
        QUICKBOOKS_OAUTH_BASE: 'http://127.0.0.1:4010',
        QUICKBOOKS_CLIENT_ID: ' AB123 ',
        QUICKBOOKS_CLIENT_SECRET: 'shh',
        QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN: 'new-token, old-token',
        PUBLIC_URL: 'https://books.example.com/',
      }),
    );
    expect(emulated).toMatchObject({
      apiBase: 'http://127.0.0.1:4010',
      authorizeUrl: 'http://127.0.0.1:4010/connect/oauth2',
      tokenUrl: 'http://127.0.0.1:4010/oauth2/v1/tokens/bearer',
      revokeUrl: 'http://127.0.0.1:4010/v2/oauth2/tokens/revoke',
      clientId: 'AB123',
      clientSecret: 'shh',
      webhookVerifierTokens: ['new-token', 'old-token'],
      publicUrl: 'https://books.example.com',
    });
  });

  it('refuses an unknown environment or a bad URL at start', () => {
    expect(() => loadConfig({ QUICKBOOKS_ENVIRONMENT: 'staging' })).toThrow(ConfigError);
    expect(() => loadConfig({ QUICKBOOKS_API_BASE: 'quickbooks.local' })).toThrow(/QUICKBOOKS_API_BASE/);
    expect(() => loadConfig({ QUICKBOOKS_OAUTH_BASE: 'ftp://x' })).toThrow(/QUICKBOOKS_OAUTH_BASE/);
  });
});
