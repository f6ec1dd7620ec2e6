import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import {
  EncryptionKeyMissingError,
  KEY_FILE,
  loadSecretBox,
  SecretBox,
  SecretBoxError,
} from './secret-box.js';

const key = () => randomBytes(32);

describe('SecretBox', () => {
  it('round-trips values, each with a fresh IV', () => {
    const box = new SecretBox([key()]);
    const a = box.encrypt('sk_test_123 ünïcode', 'ctx');
    const b = box.encrypt('sk_test_123 ünïcode', 'ctx');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[\w-]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a).not.toContain('sk_test_123');
    expect(box.decrypt(a, 'ctx')).toBe('sk_test_123 ünïcode');
    expect(box.decrypt(box.encrypt('', 'ctx'), 'ctx')).toBe('');
  });

  it('refuses a tampered value, whichever part changed', () => {
    const box = new SecretBox([key()]);
    const envelope = box.encrypt('whsec_abc', 'ctx');
    const parts = envelope.split('.');
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index] ?? '', 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      const tampered = parts.map((part, i) => (i === index ? bytes.toString('base64url') : part)).join('.');
      expect(() => box.decrypt(tampered, 'ctx')).toThrow(SecretBoxError);
    }
    expect(() => box.decrypt('v1.garbage', 'ctx')).toThrow(SecretBoxError);
    expect(() => box.decrypt(envelope.replace(/^v1/, 'v2'), 'ctx')).toThrow(SecretBoxError);
  });

  it('refuses a value moved to another context (row, column or tenant)', () => {
    const box = new SecretBox([key()]);
    const envelope = box.encrypt('sk_live_x', 'stripe:ten_a:itg_1:credentials');
    expect(() => box.decrypt(envelope, 'stripe:ten_b:itg_2:credentials')).toThrow(/failed authentication/);
  });

  it('refuses a value encrypted with a key it does not have', () => {
    const envelope = new SecretBox([key()]).encrypt('secret', 'ctx');
    expect(() => new SecretBox([key()]).decrypt(envelope, 'ctx')).toThrow(/not configured/);
    // Same key id but different key bytes (a forged id): authentication still fails.
    const other = new SecretBox([key()]);
    const forged = other.encrypt('x', 'ctx').split('.');
    const ours = envelope.split('.');
    expect(() => other.decrypt([ours[0], forged[1], ours[2], ours[3], ours[4]].join('.'), 'ctx')).toThrow(
      SecretBoxError,
    );
  });

  it('rotates: the first key encrypts, every configured key decrypts', () => {
    const oldKey = key();
    const newKey = key();
    const before = new SecretBox([oldKey]).encrypt('old secret', 'ctx');
    const rotated = new SecretBox([newKey, oldKey]);
    expect(rotated.decrypt(before, 'ctx')).toBe('old secret');
    const after = rotated.encrypt('new secret', 'ctx');
    expect(new SecretBox([newKey]).decrypt(after, 'ctx')).toBe('new secret');
    expect(() => new SecretBox([oldKey]).decrypt(after, 'ctx')).toThrow(SecretBoxError);
  });

  it('with no key, refuses to encrypt with a message saying what to set', () => {
    const box = new SecretBox([], 'Set ENCRYPTION_KEY please');
    expect(box.canEncrypt).toBe(false);
    expect(() => box.encrypt('x', 'ctx')).toThrow(EncryptionKeyMissingError);
    expect(() => box.assertCanEncrypt()).toThrow('Set ENCRYPTION_KEY please');
  });

  it('rejects keys of the wrong size', () => {
    expect(() => new SecretBox([randomBytes(16)])).toThrow(/32 bytes/);
  });
});

describe('loadSecretBox', () => {
  const dirs: string[] = [];
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-keys-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('embedded: generates a key once into DATA_DIR with mode 0600, then reuses it', () => {
    const dataDir = join(freshDir(), 'data');
    const first = loadSecretBox({ encryptionKeys: [], databaseUrl: undefined, dataDir });
    const path = join(dataDir, KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const stored = readFileSync(path, 'utf8');
    expect(Buffer.from(stored.trim(), 'base64')).toHaveLength(32);
    const envelope = first.encrypt('kept across restarts', 'ctx');
    const second = loadSecretBox({ encryptionKeys: [], databaseUrl: undefined, dataDir });
    expect(readFileSync(path, 'utf8')).toBe(stored);
    expect(second.decrypt(envelope, 'ctx')).toBe('kept across restarts');
  });

  it('embedded: refuses a key file other users can read', () => {
    const dataDir = freshDir();
    loadSecretBox({ encryptionKeys: [], databaseUrl: undefined, dataDir });
    chmodSync(join(dataDir, KEY_FILE), 0o644);
    expect(() => loadSecretBox({ encryptionKeys: [], databaseUrl: undefined, dataDir })).toThrow(/chmod 600/);
  });

  it('a shared server without ENCRYPTION_KEY: no file, and storing a credential fails clearly', () => {
    const dataDir = freshDir();
    const box = loadSecretBox({ encryptionKeys: [], databaseUrl: 'postgres://db/x', dataDir });
    expect(() => statSync(join(dataDir, KEY_FILE))).toThrow();
    expect(() => box.encrypt('x', 'ctx')).toThrow(/ENCRYPTION_KEY is not set/);
  });

  it('ENCRYPTION_KEY: a comma-separated list, current first, validated at start', () => {
    const current = key();
    const previous = key();
    const config = loadConfig({
      ENCRYPTION_KEY: ` ${current.toString('base64')} , ${previous.toString('base64')}`,
      DATABASE_URL: 'postgres://db/x',
    });
    const box = loadSecretBox(config);
    const oldValue = new SecretBox([previous]).encrypt('old', 'ctx');
    expect(box.decrypt(oldValue, 'ctx')).toBe('old');
    expect(new SecretBox([current]).decrypt(box.encrypt('new', 'ctx'), 'ctx')).toBe('new');
    expect(() => loadConfig({ ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(ConfigError);
    expect(() => loadConfig({ ENCRYPTION_KEY: 'not base64!' })).toThrow(/ENCRYPTION_KEY/);
  });
});
