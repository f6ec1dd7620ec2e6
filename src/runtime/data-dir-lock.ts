import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DataDirLock {
  release(): void;
}

export class DataDirBusyError extends Error {}

/** Directories this process holds; a lock file naming our own pid is only ours if listed here. */
const heldHere = new Set<string>();

/**
 * Embedded PGlite must be opened by one process at a time: two writers would corrupt it. The lock is
 * a file holding the owner's pid, created exclusively; a lock whose process is gone is taken over.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = join(dataDir, 'ledgerbridge.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(path);
      return {
        release: () => {
          heldHere.delete(path);
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8').trim());
      // Our own pid in a lock we did not take is a leftover from an earlier run that had the same
      // pid (pid 1 in every container start), not a live owner.
      const ours = owner === process.pid;
      if ((ours && heldHere.has(path)) || (!ours && Number.isInteger(owner) && owner > 0 && isAlive(owner))) {
        throw new DataDirBusyError(
          `The embedded database in ${dataDir} is in use by ${ours ? 'this process' : `process ${owner}`}. Stop that process first, ` +
            'or run ledgerbridge against a PostgreSQL server (DATABASE_URL) to share it between processes.',
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirBusyError(`Could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
