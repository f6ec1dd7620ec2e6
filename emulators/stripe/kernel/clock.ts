/**
 * The emulator's sense of time. It runs with the wall clock plus an offset that tests and the
 * admin API can advance, which is how subscription periods and due dates are made to pass.
 */
export class EmulatorClock {
  private offsetMs = 0;

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  /** Unix seconds, the unit of every Stripe timestamp. */
  now(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** How far ahead of the wall clock the emulator runs, in ms (kept across a snapshot and restore). */
  offset(): number {
    return this.offsetMs;
  }

  /** Restores a saved offset; unlike advance(), from a snapshot only. */
  restoreOffset(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock offset is a non-negative number');
    this.offsetMs = ms;
  }

  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += seconds * 1000;
  }
}
