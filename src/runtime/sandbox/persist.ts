import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SNAPSHOT_VERSION as QUICKBOOKS_SNAPSHOT_VERSION } from '../../../emulators/quickbooks/snapshot.js';
import { SNAPSHOT_VERSION as STRIPE_SNAPSHOT_VERSION } from '../../../emulators/stripe/snapshot.js';

/**
 * The emulators' state, kept next to the database so that a sandbox survives a restart: each
 * emulator reports every change, and its snapshot is written shortly after (and on stop). The files
 * hold the emulated services' keys and tokens, so they are the owner's only (0600), like the rest of
 * DATA_DIR. A crash can lose the changes of the last moment, as a real service would never; the
 * sandbox accepts that, and a start without both files begins a new sandbox (previous.ts).
 */
export const EMULATOR_STATE_DIR = 'sandbox-emulators';
export type EmulatorName = 'stripe' | 'quickbooks';

const WRITE_DELAY_MS = 200;

function fileOf(dataDir: string, name: EmulatorName): string {
  return join(dataDir, EMULATOR_STATE_DIR, `${name}.json`);
}

/** The saved state of an emulator, or undefined when there is none (or it cannot be read). */
export function readEmulatorState(dataDir: string, name: EmulatorName): unknown {
  const file = fileOf(dataDir, name);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

const VERSIONS: Readonly<Record<EmulatorName, number>> = {
  stripe: STRIPE_SNAPSHOT_VERSION,
  quickbooks: QUICKBOOKS_SNAPSHOT_VERSION,
};

/** Saved state this version of the emulator can restore (an older format begins a new sandbox). */
export function hasEmulatorState(dataDir: string, name: EmulatorName): boolean {
  const state = readEmulatorState(dataDir, name) as { version?: unknown } | null | undefined;
  return typeof state === 'object' && state !== null && state.version === VERSIONS[name];
}

export function removeEmulatorState(dataDir: string): void {
  rmSync(join(dataDir, EMULATOR_STATE_DIR), { recursive: true, force: true });
}

export interface StateWriter {
  /** Something changed: write soon (many changes in a burst make one write). */
  changed(): void;
  /** Write now if anything is unwritten; call on stop. */
  flush(): void;
}

/** Writes `snapshot()` atomically (a temporary file renamed over the old one). */
export function emulatorStateWriter(
  dataDir: string,
  name: EmulatorName,
  snapshot: () => unknown,
): StateWriter {
  const file = fileOf(dataDir, name);
  mkdirSync(join(dataDir, EMULATOR_STATE_DIR), { recursive: true, mode: 0o700 });
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  const write = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!dirty) return;
    dirty = false;
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, JSON.stringify(snapshot()), { mode: 0o600 });
      renameSync(temporary, file);
    } catch (error) {
      // A full disk must not take the server down; the next start then begins a new sandbox.
      process.emitWarning(`could not save the ${name} emulator's state: ${String(error)}`);
    }
  };
  return {
    changed() {
      dirty = true;
      timer ??= setTimeout(write, WRITE_DELAY_MS);
      timer.unref();
    },
    flush: write,
  };
}
