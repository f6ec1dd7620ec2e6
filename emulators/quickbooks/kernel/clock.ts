/**
 * The emulator's sense of time: the wall clock plus an offset that tests and the admin API advance
 * (CDC windows, due dates, token expiry and rate-limit windows all read it). Milliseconds.
 */
export class EmulatorClock {
  private offsetMs: number;

  /** `offsetMs` continues a clock that was already advanced (a restored snapshot). */
  constructor(offsetMs = 0) {
    if (!Number.isFinite(offsetMs) || offsetMs < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs = offsetMs;
  }

  /** How far the clock has been advanced past the wall clock. */
  offset(): number {
    return this.offsetMs;
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
  }
}

/** QuickBooks companies keep Pacific time; its timestamps carry that offset (`-08:00` / `-07:00`). */
const TIME_ZONE = 'America/Los_Angeles';

function pacificParts(ms: number): { local: Date; offset: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: TIME_ZONE,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  const localAsUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  const offsetMinutes = Math.round((localAsUtc - wholeSecond) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return { local: new Date(localAsUtc + (ms - wholeSecond)), offset };
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `2026-11-22T00:36:32-08:00`, as in MetaData; `withMillis` adds `.123` as in the `time` field. */
export function qboTimestamp(ms: number, withMillis = false): string {
  const { local, offset } = pacificParts(ms);
  const base = local.toISOString().slice(0, withMillis ? 23 : 19);
  return `${base}${offset}`;
}

/** The company's calendar date (`YYYY-MM-DD`), the default TxnDate. */
export function qboDate(ms: number): string {
  return pacificParts(ms).local.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const time = Date.parse(`${date}T00:00:00Z`);
  return new Date(time + days * 86_400_000).toISOString().slice(0, 10);
}
