import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Intuit's webhook signature: header `intuit-signature` = base64(HMAC-SHA256(verifier token, raw
 * body)), checked on the exact bytes received. Several verifier tokens may be configured while one
 * is rotated; any of them signing the body is enough. Returns the index of the token that matched,
 * or -1. The comparison is on fixed-length digests, in constant time.
 */
export function verifyIntuitSignature(
  rawBody: Buffer,
  header: string | undefined,
  verifierTokens: readonly string[],
): number {
  if (header === undefined) return -1;
  let given: Buffer;
  try {
    given = Buffer.from(header.trim(), 'base64');
  } catch {
    return -1;
  }
  // A SHA-256 digest is 32 bytes; anything else can never match, and timingSafeEqual needs equal lengths.
  if (given.length !== 32) return -1;
  let matched = -1;
  for (const [index, token] of verifierTokens.entries()) {
    if (token === '') continue;
    const expected = createHmac('sha256', token).update(rawBody).digest();
    // Every token is checked (no early exit) so the time taken does not say which one matched.
    if (timingSafeEqual(given, expected) && matched < 0) matched = index;
  }
  return matched;
}

/** The header value Intuit would send for this body (tests, tools). */
export function signIntuitPayload(rawBody: Buffer | string, verifierToken: string): string {
  return createHmac('sha256', verifierToken).update(rawBody).digest('base64');
}
