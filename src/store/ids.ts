import { randomBytes } from 'node:crypto';

/**
 * Prefixed ids that sort by creation time ("inv_" + 10 chars of time + 16 chars of randomness, base32
 * Crockford). Sorting by id is sorting by creation, which is what cursor pagination relies on, and
 * the prefix tells a reader (and a support engineer) what kind of object an id names.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export type IdPrefix =
  | 'ten'
  | 'usr'
  | 'key'
  | 'ses'
  | 'con'
  | 'svc'
  | 'opp'
  | 'tkt'
  | 'ord'
  | 'bil'
  | 'inv'
  | 'iln'
  | 'pay'
  | 'ref'
  | 'evt'
  /** a subscription */
  | 'sub'
  | 'job'
  /** an integration connection */
  | 'itg'
  /** a received webhook delivery */
  | 'whk'
  /** a workflow, and one saved version of its definition */
  | 'wfl'
  | 'wfv'
  /** a workflow run of one invoice, and one node execution (token) of a run */
  | 'wfr'
  | 'wft'
  /** an outgoing email */
  | 'eml';

let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  // Within one millisecond, increment the random part so ids made by this process stay ordered.
  if (now <= lastTime) {
    lastRandom = increment(lastRandom);
    now = lastTime;
  } else {
    lastTime = now;
    lastRandom = randomBytes(10);
  }
  return `${prefix}_${encodeTime(now)}${encodeRandom(lastRandom)}`;
}

function encodeTime(time: number): string {
  let out = '';
  let rest = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 16; i++) {
    out = ALPHABET.charAt(Number(bits & 31n)) + out;
    bits >>= 5n;
  }
  return out;
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    const value = (next[i] ?? 0) + 1;
    next[i] = value & 0xff;
    if (value <= 0xff) break;
  }
  return next;
}
