import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { signStripePayload, verifyStripeSignature } from './webhook-signature.js';

const secret = 'whsec_test_primary';
const body = Buffer.from(
  JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.paid', data: { object: { id: 'in_1' } } }),
);
const now = 1_760_000_000_000;
const t = now / 1000;
const hmac = (key: string, payload: string) => createHmac('sha256', key).update(payload).digest('hex');

describe('verifyStripeSignature', () => {
  it('accepts a header signed over `${t}.${raw body}` with the secret', () => {
    const header = `t=${t},v1=${hmac(secret, `${t}.${body.toString()}`)}`;
    expect(verifyStripeSignature({ rawBody: body, header, secrets: [secret], nowMs: now })).toEqual({
      ok: true,
      timestamp: t,
      secretIndex: 0,
    });
  });

  it('agrees with the official SDK in both directions', () => {
    const sdkHeader = Stripe.webhooks.generateTestHeaderString({
      payload: body.toString(),
      secret,
      timestamp: t,
    });
    expect(
      verifyStripeSignature({ rawBody: body, header: sdkHeader, secrets: [secret], nowMs: now }).ok,
    ).toBe(true);
    const ours = signStripePayload(body, [secret], Math.floor(Date.now() / 1000));
    const event = Stripe.webhooks.constructEvent(body, ours, secret);
    expect(event.id).toBe('evt_1');
    expect(() => Stripe.webhooks.constructEvent(body, ours, 'whsec_other')).toThrow();
  });

  it('refuses a forged body, even one differing only in whitespace', () => {
    const header = signStripePayload(body, [secret], t);
    const forged = Buffer.from(body.toString().replace('in_1', 'in_2'));
    expect(verifyStripeSignature({ rawBody: forged, header, secrets: [secret], nowMs: now })).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    expect(verifyStripeSignature({ rawBody: reserialized, header, secrets: [secret], nowMs: now }).ok).toBe(
      false,
    );
  });

  it('refuses a signature made with another secret', () => {
    const header = signStripePayload(body, ['whsec_attacker'], t);
    expect(verifyStripeSignature({ rawBody: body, header, secrets: [secret], nowMs: now })).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
    expect(verifyStripeSignature({ rawBody: body, header, secrets: [], nowMs: now }).ok).toBe(false);
  });

  it('refuses a stale or future-dated timestamp beyond the tolerance, and accepts one at the edge', () => {
    const at = (ts: number) =>
      verifyStripeSignature({
        rawBody: body,
        header: signStripePayload(body, [secret], ts),
        secrets: [secret],
        nowMs: now,
      });
    expect(at(t - 301)).toEqual({ ok: false, reason: 'timestamp_outside_tolerance' });
    expect(at(t + 301)).toEqual({ ok: false, reason: 'timestamp_outside_tolerance' });
    expect(at(t - 300).ok).toBe(true);
    expect(at(t + 300).ok).toBe(true);
    const header = signStripePayload(body, [secret], t - 500);
    expect(
      verifyStripeSignature({ rawBody: body, header, secrets: [secret], nowMs: now, toleranceSeconds: 600 })
        .ok,
    ).toBe(true);
  });

  it('a replayed header cannot be re-dated: the timestamp is inside the signature', () => {
    const old = signStripePayload(body, [secret], t - 3600);
    const redated = old.replace(`t=${t - 3600}`, `t=${t}`);
    expect(verifyStripeSignature({ rawBody: body, header: redated, secrets: [secret], nowMs: now })).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
  });

  it('during rotation, any v1 matching any configured secret is valid', () => {
    const header = signStripePayload(body, ['whsec_old', 'whsec_new'], t);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyStripeSignature({ rawBody: body, header, secrets: ['whsec_new'], nowMs: now }).ok).toBe(
      true,
    );
    expect(verifyStripeSignature({ rawBody: body, header, secrets: ['whsec_old'], nowMs: now }).ok).toBe(
      true,
    );
    const single = signStripePayload(body, ['whsec_new'], t);
    expect(
      verifyStripeSignature({
        rawBody: body,
        header: single,
        secrets: ['whsec_old', 'whsec_new'],
        nowMs: now,
      }),
    ).toEqual({ ok: true, timestamp: t, secretIndex: 1 });
    // v0 (legacy test-mode scheme) signatures are never accepted in place of v1.
    const v0 = `t=${t},v0=${hmac(secret, `${t}.${body.toString()}`)}`;
    expect(verifyStripeSignature({ rawBody: body, header: v0, secrets: [secret], nowMs: now })).toEqual({
      ok: false,
      reason: 'malformed_header',
    });
  });

  it('names a missing or malformed header', () => {
    const check = (header: string | undefined) =>
      verifyStripeSignature({ rawBody: body, header, secrets: [secret], nowMs: now });
    expect(check(undefined)).toEqual({ ok: false, reason: 'missing_header' });
    expect(check('  ')).toEqual({ ok: false, reason: 'missing_header' });
    for (const bad of [
      'garbage',
      `v1=${'a'.repeat(64)}`,
      't=abc,v1=00',
      `t=${t}`,
      `t=${t},t=${t},v1=00`,
      '=x',
    ]) {
      expect(check(bad), bad).toEqual({ ok: false, reason: 'malformed_header' });
    }
    expect(check(`t=${t},v1=not-hex`)).toEqual({ ok: false, reason: 'no_matching_signature' });
  });
});
