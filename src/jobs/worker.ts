import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../store/db.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import {
  describeError,
  LeaseLostError,
  PermanentJobError,
  RetryAfterError,
  SnoozeJobError,
} from './errors.js';
import type { JobContext, JobHandler, JobLogger, WorkerOptions } from './handler.js';
import type { Job } from './job.js';
import { claimJobs, extendLeases, finishJob, type Outcome, reapExpiredLeases } from './lease.js';

export type { JobContext, JobHandler, JobLogger, WorkerOptions } from './handler.js';

interface Active {
  job: Job;
  controller: AbortController;
  done: Promise<void>;
  /** Set once the worker released the job on shutdown; the handler's outcome is then ignored. */
  released: boolean;
}

const silent: JobLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Claims and runs jobs. Polling alone is correct (no LISTEN/NOTIFY, which PGlite cannot share
 * between processes); a worker that was at capacity polls again as soon as a job finishes.
 */
export class Worker {
  readonly workerId: string;
  private readonly db: Db;
  private readonly handlers: Record<string, JobHandler>;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly logger: JobLogger;
  private readonly backoff: BackoffOptions;
  private readonly clock: (() => Date) | undefined;
  /** lease_owner: unique per instance, so a restarted process with the same workerId is not "us". */
  private readonly owner: string;
  private readonly active = new Map<string, Active>();
  private phase: 'idle' | 'started' | 'stopping' | 'stopped' = 'idle';
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private lastReap = 0;
  private heartbeating = false;
  /** A slot freed while a poll was running; the poll then comes back at once. */
  private wakeRequested = false;

  constructor(options: WorkerOptions) {
    this.db = options.db;
    this.handlers = options.handlers;
    this.concurrency = options.concurrency ?? 10;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.logger = options.logger ?? silent;
    this.backoff = options.backoff ?? {};
    this.clock = options.now;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}`;
    this.owner = `${this.workerId}#${randomBytes(4).toString('hex')}`;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1)
      throw new RangeError('concurrency must be ≥ 1');
    if (this.leaseMs < 30) throw new RangeError('leaseMs must be at least 30');
  }

  start(): void {
    if (this.phase !== 'idle') throw new Error(`worker ${this.workerId} cannot start: it is ${this.phase}`);
    this.phase = 'started';
    this.schedulePoll(0);
  }

  /**
   * Drains: stops claiming, waits up to graceMs for running handlers, then releases the jobs still
   * running (back to queued, attempt given back) and aborts their signals.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'stopping';
    clearTimeout(this.pollTimer);
    await this.polling;
    const graceMs = options.graceMs ?? this.leaseMs;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.active.values()].map((a) => a.done)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    for (const entry of [...this.active.values()]) {
      entry.released = true;
      entry.controller.abort(new Error('worker is shutting down'));
      this.active.delete(entry.job.id);
      await this.finish(entry.job, { event: 'release', lastError: 'released: worker shut down' });
    }
    this.phase = 'stopped';
    this.stopHeartbeats();
  }

  /** Test-only: the process "dies". Timers stop; nothing is released or written, leases just expire. */
  crash(): void {
    this.phase = 'stopped';
    clearTimeout(this.pollTimer);
    this.stopHeartbeats();
    for (const entry of this.active.values()) entry.released = true;
    this.active.clear();
  }

  /** Reaps expired leases, claims one batch, runs it to the end; returns how many jobs it claimed. */
  async runOnce(): Promise<number> {
    if (this.phase === 'stopped') throw new Error(`worker ${this.workerId} is stopped`);
    await this.reap(true);
    const started = await this.claimAndStart();
    await Promise.allSettled(started.map((entry) => entry.done));
    return started.length;
  }

  private now(): Date | null {
    return this.clock ? this.clock() : null;
  }

  private schedulePoll(delayMs: number): void {
    if (this.phase !== 'started') return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), delayMs);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.phase !== 'started') return;
    let next = this.pollIntervalMs;
    this.wakeRequested = false;
    const polling = (async () => {
      try {
        await this.reap(false);
        // At capacity we still come back every pollIntervalMs (to reap); a finishing job wakes us sooner.
        const free = this.concurrency - this.active.size;
        if (free <= 0) return;
        const started = await this.claimAndStart();
        if (started.length === free) next = 0; // full batch: there is probably more
      } catch (error) {
        this.logger.error({ err: describeError(error), workerId: this.workerId }, 'job poll failed');
      }
    })();
    this.polling = polling;
    await polling;
    this.polling = undefined;
    this.schedulePoll(this.wakeRequested ? 0 : next);
  }

  /** A slot is free: poll now, or as soon as the poll in progress ends. */
  private wake(): void {
    if (this.polling) this.wakeRequested = true;
    else this.schedulePoll(0);
  }

  private async reap(force: boolean): Promise<void> {
    // Reaping every poll would be wasted work: a lease cannot expire much faster than leaseMs/2.
    if (!force && Date.now() - this.lastReap < this.leaseMs / 2) return;
    this.lastReap = Date.now();
    const reaped = await reapExpiredLeases(this.db, this.now());
    if (reaped > 0)
      this.logger.warn({ reaped, workerId: this.workerId }, 'requeued jobs with expired leases');
  }

  private async claimAndStart(): Promise<Active[]> {
    const limit = this.concurrency - this.active.size;
    const jobs = await claimJobs(this.db, {
      owner: this.owner,
      limit,
      leaseMs: this.leaseMs,
      now: this.now(),
    });
    const started = jobs.map((job) => {
      const entry: Active = {
        job,
        controller: new AbortController(),
        done: Promise.resolve(),
        released: false,
      };
      this.active.set(job.id, entry);
      entry.done = this.run(entry);
      return entry;
    });
    if (started.length > 0) this.startHeartbeats();
    return started;
  }

  private async run(entry: Active): Promise<void> {
    const { job, controller } = entry;
    // Own properties only: a job of type "constructor" must not run Object.prototype.constructor.
    const handler = Object.hasOwn(this.handlers, job.type) ? this.handlers[job.type] : undefined;
    let outcome: Outcome;
    if (!handler) {
      outcome = { event: 'dead_letter', lastError: `no handler registered for job type ${job.type}` };
    } else {
      try {
        const context: JobContext = { signal: controller.signal, heartbeat: () => this.heartbeatOne(entry) };
        const result = await handler(job, context);
        outcome = { event: 'succeed', result };
      } catch (error) {
        outcome = this.classify(job, error);
      }
    }
    if (entry.released || controller.signal.aborted) return; // released, crashed, or lease lost
    this.active.delete(job.id);
    const applied = await this.finish(job, outcome);
    if (applied && outcome.event !== 'succeed') this.logOutcome(job, outcome);
    if (this.active.size === 0) this.stopHeartbeats();
    this.wake();
  }

  private logOutcome(job: Job, outcome: Outcome): void {
    const fields = { jobId: job.id, type: job.type, attempt: job.attempts, error: outcome.lastError };
    // A snooze is a job waiting as designed (a workflow step's timer, a paused connection): not a failure.
    if (outcome.event === 'release') {
      this.logger.debug?.({ ...fields, delayMs: outcome.delayMs }, 'job snoozed');
      return;
    }
    this.logger[outcome.event === 'dead_letter' ? 'error' : 'warn'](fields, 'job failed');
  }

  private classify(job: Job, error: unknown): Outcome {
    const lastError = describeError(error);
    if (error instanceof PermanentJobError) return { event: 'dead_letter', lastError };
    // Given back like a release on shutdown: the attempt does not count, so waiting never dead-letters.
    if (error instanceof SnoozeJobError) return { event: 'release', lastError, delayMs: error.snoozeMs };
    if (job.attempts >= job.maxAttempts)
      return { event: 'dead_letter', lastError: `attempts exhausted: ${lastError}` };
    const delayMs =
      error instanceof RetryAfterError ? error.retryAfterMs : backoffDelay(job.attempts, this.backoff);
    return { event: 'retry', lastError, delayMs };
  }

  /** Writes the outcome; returns false if the lease was lost (the write is fenced and does nothing). */
  private async finish(job: Job, outcome: Outcome): Promise<boolean> {
    try {
      const applied = await finishJob(
        this.db,
        { id: job.id, owner: this.owner, attempts: job.attempts },
        outcome,
        this.now(),
      );
      if (!applied)
        this.logger.warn({ jobId: job.id, workerId: this.workerId }, 'job lease was lost; outcome discarded');
      return applied;
    } catch (error) {
      // The lease will expire and the job run again: at-least-once, never lost.
      this.logger.error({ jobId: job.id, err: describeError(error) }, 'could not record job outcome');
      return false;
    }
  }

  private startHeartbeats(): void {
    if (this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(
      () => void this.heartbeatAll(),
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
  }

  private stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private async heartbeatAll(): Promise<void> {
    if (this.heartbeating) return; // a slow database must not pile up overlapping heartbeats
    this.heartbeating = true;
    const held = [...this.active.values()].map((entry) => ({
      id: entry.job.id,
      attempts: entry.job.attempts,
    }));
    try {
      const lost = await extendLeases(this.db, this.owner, held, this.leaseMs, this.now());
      for (const id of lost) this.loseLease(id);
    } catch (error) {
      this.logger.warn({ err: describeError(error), workerId: this.workerId }, 'lease heartbeat failed');
    } finally {
      this.heartbeating = false;
    }
  }

  private async heartbeatOne(entry: Active): Promise<void> {
    const held = [{ id: entry.job.id, attempts: entry.job.attempts }];
    const lost = await extendLeases(this.db, this.owner, held, this.leaseMs, this.now());
    if (lost.length > 0) {
      this.loseLease(entry.job.id);
      throw new LeaseLostError(entry.job.id);
    }
  }

  private loseLease(id: string): void {
    const entry = this.active.get(id);
    // A job that just finished is no longer held either; only a still-running one has lost its lease.
    if (!entry || entry.released) return;
    this.active.delete(id);
    entry.controller.abort(new LeaseLostError(id));
    this.wake();
    this.logger.warn({ jobId: id, workerId: this.workerId }, 'job lease lost; another worker may run it');
  }
}
