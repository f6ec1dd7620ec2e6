import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFirstRunFile } from '../first-run.js';
import { EMULATOR_STATE_DIR } from './persist.js';
import { previousSandbox, setAsidePreviousSandbox, whyNotContinue } from './previous.js';

describe('continuing an earlier sandbox', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A data directory as a sandbox leaves it: database, sandbox.json, the emulators' state. */
  const earlier = (
    states: Record<string, unknown> = { stripe: { version: 1 }, quickbooks: { version: 1 } },
  ) => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-previous-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'pglite'));
    writeFirstRunFile(dir, {
      tenant_id: 'ten_1',
      tenant_name: 'Demo Business',
      owner_email: 'owner@demo.ledgerbridge.test',
      owner_password: 'secret',
      api_key: 'lb_key',
      dashboard_url: 'http://127.0.0.1:4000',
      stripe_emulator_url: 'http://127.0.0.1:4010',
      quickbooks_emulator_url: 'http://127.0.0.1:4020',
      sandbox_started_at: '2026-11-22T10:00:00.000Z',
    });
    mkdirSync(join(dir, EMULATOR_STATE_DIR));
    for (const [name, state] of Object.entries(states)) {
      writeFileSync(join(dir, EMULATOR_STATE_DIR, `${name}.json`), JSON.stringify(state));
    }
    return dir;
  };
  const both = { stripe: true, quickbooks: true };
  const found = (dir: string) => {
    const previous = previousSandbox(dir);
    if (!previous) throw new Error(`no sandbox in ${dir}`);
    return previous;
  };

  it('reads the ports it ran on and continues when everything it points to can come back', () => {
    const dir = earlier();
    const previous = found(dir);
    expect(previous.ports).toEqual({ app: 4000, stripe: 4010, quickbooks: 4020 });
    expect(whyNotContinue(dir, previous, both, true)).toBeUndefined();
  });

  it('says why it cannot continue', () => {
    const missing = earlier({ stripe: { version: 1 } });
    expect(whyNotContinue(missing, found(missing), both, true)).toBe(
      "the quickbooks emulator's saved state is missing",
    );
    const older = earlier({ stripe: { version: 0 }, quickbooks: { version: 1 } });
    expect(whyNotContinue(older, found(older), both, true)).toBe(
      "the stripe emulator's saved state is missing",
    );
    const dir = earlier();
    const previous = found(dir);
    expect(whyNotContinue(dir, previous, { stripe: false, quickbooks: true }, true)).toBe(
      'stripe was emulated before and is not now',
    );
    expect(whyNotContinue(dir, previous, both, false)).toBe('its addresses are taken by something else');
  });

  it('sets the whole earlier sandbox aside, emulator state included', () => {
    const dir = earlier();
    const aside = setAsidePreviousSandbox(dir, new Date('2026-11-22T12:00:00Z'));
    expect(aside).toBe(join(dir, 'previous-sandbox-2026-11-22T12-00-00.000Z'));
    expect(previousSandbox(dir)).toBeUndefined();
    expect(previousSandbox(aside ?? '')?.credentials.api_key).toBe('lb_key');
  });
});
