import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('mail settings', () => {
  it('default to the mail catcher with a placeholder sender', () => {
    expect(loadConfig({}).mail).toEqual({
      smtp: undefined,
      from: 'ledgerbridge <no-reply@ledgerbridge.localhost>',
    });
  });

  it('read SMTP_URL, with smtps meaning TLS on 465 and credentials URL-decoded', () => {
    expect(
      loadConfig({ SMTP_URL: 'smtps://me%40x.test:p%2Fw@mail.x.test', MAIL_FROM: 'Billing <b@x.test>' }).mail,
    ).toEqual({
      smtp: { host: 'mail.x.test', port: 465, secure: true, user: 'me@x.test', password: 'p/w' },
      from: 'Billing <b@x.test>',
    });
    expect(loadConfig({ SMTP_URL: 'smtp://mail.x.test', MAIL_FROM: 'b@x.test' }).mail.smtp).toEqual({
      host: 'mail.x.test',
      port: 587,
      secure: false,
      user: undefined,
      password: undefined,
    });
  });

  it('read host, port, user, password and secure separately', () => {
    const env = {
      SMTP_HOST: 'mail.x.test',
      SMTP_PORT: '465',
      SMTP_USER: 'u',
      SMTP_PASSWORD: ' p ',
      MAIL_FROM: 'b@x.test',
    };
    expect(loadConfig(env).mail.smtp).toEqual({
      host: 'mail.x.test',
      port: 465,
      secure: true,
      user: 'u',
      password: ' p ',
    });
    expect(loadConfig({ ...env, SMTP_PORT: '2525', SMTP_SECURE: 'false' }).mail.smtp).toMatchObject({
      port: 2525,
      secure: false,
    });
    expect(loadConfig({ SMTP_HOST: 'mail.x.test', MAIL_FROM: 'b@x.test' }).mail.smtp).toMatchObject({
      port: 587,
      secure: false,
    });
  });

  it('stop at start on a setting that cannot work', () => {
    expect(() => loadConfig({ SMTP_URL: 'http://mail.x.test', MAIL_FROM: 'b@x.test' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ SMTP_URL: 'smtp://a', SMTP_HOST: 'b', MAIL_FROM: 'b@x.test' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ SMTP_HOST: 'mail.x.test' })).toThrow(/MAIL_FROM is required/);
    expect(() => loadConfig({ MAIL_FROM: 'not an address' })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ SMTP_HOST: 'mail.x.test', SMTP_PORT: '0', MAIL_FROM: 'b@x.test' })).toThrow(
      /SMTP_PORT/,
    );
  });
});
