import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stripe's webhook signature, checked on the exact bytes received (re-serialized JSON would differ).
 *
 * Header: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`, where each v1 is
 * hex(HMAC-SHA256(endpoint secret, `${t}.${raw body}`)). Stripe sends one v1 per active secret of the
 * endpoint while a secret is being rolled, and we may hold several secrets too (platform and
 * per-connection, old and new): any v1 matching any secret is valid. Other schemes (v0) are ignored.
 */
export type SignatureFailure =
  'missing_header' | 'malformed_header' | 'no_matching_signature' | 'timestamp_outside_tolerance';

export type SignatureResult =
  | {
      readonly ok: true;
      readonly timestamp: number;
      /** index in `secrets` of the one that matched */ readonly secretIndex: number;
    }
  | { readonly ok: false; readonly reason: SignatureFailure };

export interface VerifyInput {
  readonly rawBody: Buffer;
  readonly header: string | undefined;
  readonly secrets: readonly string[];
  readonly nowMs: number;
  /** Seconds either side of now a signature's timestamp may be; Stripe's default is 300. */
  readonly toleranceSeconds?: number;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

export function verifyStripeSignature(input: VerifyInput): SignatureResult {
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (input.header === undefined || input.header.trim() === '')
    return { ok: false, reason: 'missing_header' };
  const parsed = parseHeader(input.header);
  if (!parsed) return { ok: false, reason: 'malformed_header' };

  const signedPayload = Buffer.concat([Buffer.from(`${parsed.timestampText}.`, 'utf8'), input.rawBody]);
  // A v1 that is not 64 hex characters can never match; dropping it keeps the compare constant-length.
  const candidates = parsed.signatures
    .filter((s) => HEX_SHA256.test(s))
    .map((s) => Buffer.from(s.toLowerCase()));
  let secretIndex = -1;
  for (const [index, secret] of input.secrets.entries()) {
    const expected = Buffer.from(createHmac('sha256', secret).update(signedPayload).digest('hex'));
    // timingSafeEqual needs equal lengths, which the filter above guarantees (64 bytes each).
    if (candidates.some((candidate) => timingSafeEqual(candidate, expected))) {
      secretIndex = index;
      break;
    }
  }
  if (secretIndex < 0) return { ok: false, reason: 'no_matching_signature' };

  // Checked after the signature, as Stripe's SDK does: only a genuine but stale (a replay) or
  // future-dated (a skewed clock) delivery learns that its timestamp was the problem.
  if (Math.abs(input.nowMs / 1000 - parsed.timestamp) > tolerance) {
    return { ok: false, reason: 'timestamp_outside_tolerance' };
  }
  return { ok: true, timestamp: parsed.timestamp, secretIndex };
}

interface ParsedHeader {
  readonly timestamp: number;
  /** The digits exactly as sent: the signed payload uses them, not a re-formatted number. */
  readonly timestampText: string;
  readonly signatures: readonly string[];
}

function parseHeader(header: string): ParsedHeader | undefined {
  let timestampText: string | undefined;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const separator = item.indexOf('=');
    if (separator <= 0) return undefined;
    const key = item.slice(0, separator).trim();
    const value = item.slice(separator + 1).trim();
    if (key === 't') {
      if (timestampText !== undefined) return undefined;
      timestampText = value;
    } else if (key === 'v1') {
      signatures.push(value);
    }
  }
  if (timestampText === undefined || !/^\d{1,12}$/.test(timestampText) || signatures.length === 0) {
    return undefined;
  }
  return { timestamp: Number(timestampText), timestampText, signatures };
}

/** A header as Stripe would send it, for tests and the emulator's deliveries. */
export function signStripePayload(
  rawBody: Buffer | string,
  secrets: readonly string[],
  timestamp: number,
): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const payload = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]);
  const v1 = secrets.map((secret) => `v1=${createHmac('sha256', secret).update(payload).digest('hex')}`);
  return [`t=${timestamp}`, ...v1].join(',');
}
