import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Encryption of credentials at rest (provider API keys, OAuth tokens, webhook secrets): AES-256-GCM
 * with a fresh random 12-byte IV per value and its 16-byte auth tag, so a changed byte anywhere is
 * an error rather than a different secret.
 *
 * Envelope: `v1.<keyId>.<iv>.<tag>.<ciphertext>`, all base64url. The key id (a hash prefix of the
 * key, never the key) says which configured key opened it, so keys rotate: encrypt with the first
 * key, decrypt with whichever key the envelope names, and re-encrypt at leisure.
 *
 * Every value is bound to a context string (authenticated, not stored), e.g. the connection id and
 * column: an envelope copied into another row or tenant no longer decrypts.
 */
export class SecretBoxError extends Error {
  override readonly name: string = 'SecretBoxError';
}

/** No key is configured, so nothing can be stored; the message says how to configure one. */
export class EncryptionKeyMissingError extends SecretBoxError {
  override readonly name: string = 'EncryptionKeyMissingError';
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

interface Key {
  readonly id: string;
  readonly key: Buffer;
}

export class SecretBox {
  private readonly keys: readonly Key[];

  /** `keys[0]` encrypts; every key decrypts. No keys: decrypting finds nothing, encrypting throws. */
  constructor(
    keys: readonly Buffer[],
    private readonly missingKeyHelp = 'Set ENCRYPTION_KEY to base64 of 32 random bytes',
  ) {
    this.keys = keys.map((key) => {
      if (key.length !== KEY_BYTES) throw new SecretBoxError(`an encryption key must be ${KEY_BYTES} bytes`);
      return { id: keyId(key), key: Buffer.from(key) };
    });
    if (new Set(this.keys.map((k) => k.id)).size !== this.keys.length) {
      throw new SecretBoxError('the same encryption key is configured twice');
    }
  }

  get canEncrypt(): boolean {
    return this.keys.length > 0;
  }

  /** Throws EncryptionKeyMissingError when no key is configured: call before any side effect. */
  assertCanEncrypt(): void {
    if (!this.keys[0]) throw new EncryptionKeyMissingError(this.missingKeyHelp);
  }

  encrypt(plaintext: string, context: string): string {
    const current = this.keys[0];
    if (!current) throw new EncryptionKeyMissingError(this.missingKeyHelp);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, current.id, b64(iv), b64(tag), b64(ciphertext)].join('.');
  }

  decrypt(envelope: string, context: string): string {
    const parts = envelope.split('.');
    const [version, id, iv, tag, ciphertext] = parts;
    if (parts.length !== 5 || version !== VERSION || !id || !iv || !tag || ciphertext === undefined) {
      throw new SecretBoxError('not an encrypted value this version can read');
    }
    const key = this.keys.find((k) => k.id === id);
    if (!key) throw new SecretBoxError(`encrypted with key ${id}, which is not configured in ENCRYPTION_KEY`);
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
      throw new SecretBoxError('the encrypted value is damaged');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      // GCM says only "unable to authenticate": tampered, wrong key bytes, or a different context.
      throw new SecretBoxError('the encrypted value failed authentication (tampered or moved)');
    }
  }
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** 8 characters of the key's SHA-256: names the key in envelopes without revealing it. */
function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest().subarray(0, 6).toString('base64url');
}

export const KEY_FILE = 'encryption.key';

export interface SecretBoxSettings {
  /** Base64 keys from ENCRYPTION_KEY, current first (validated by loadConfig). */
  readonly encryptionKeys: readonly string[];
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
}

/**
 * The process's SecretBox. Configured keys win. The embedded default (no DATABASE_URL) generates a
 * key once into `<DATA_DIR>/encryption.key` (0600) and reuses it, so a sandbox needs no setup. With
 * DATABASE_URL and no key, processes on different machines could never share a generated file: the
 * box then refuses to encrypt, with a message saying what to set, and everything else still runs.
 */
export function loadSecretBox(settings: SecretBoxSettings): SecretBox {
  if (settings.encryptionKeys.length > 0) {
    return new SecretBox(settings.encryptionKeys.map((key) => Buffer.from(key, 'base64')));
  }
  if (settings.databaseUrl) {
    return new SecretBox(
      [],
      'ENCRYPTION_KEY is not set. With DATABASE_URL every process must share one key: set ENCRYPTION_KEY ' +
        'to base64 of 32 random bytes (e.g. `openssl rand -base64 32`) on all of them.',
    );
  }
  return new SecretBox([readOrCreateKeyFile(settings.dataDir)]);
}

function readOrCreateKeyFile(dataDir: string): Buffer {
  const path = join(dataDir, KEY_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if the file exists, so an existing key is never overwritten (that would orphan
    // every credential encrypted with it).
    writeFileSync(path, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // POSIX permissions only; Windows reports modes that mean nothing here.
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new SecretBoxError(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new SecretBoxError(`${path} does not hold a 32-byte base64 key`);
  return key;
}
