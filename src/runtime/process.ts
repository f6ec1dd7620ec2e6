import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { buildApp } from '../http/app.js';
import { scheduleStripeReconciliation } from '../integrations/stripe/inbound/reconcile.js';
import { scheduleQuickBooksCdc } from '../integrations/quickbooks/inbound/cdc.js';
import { createQuickBooksIntegration } from '../integrations/quickbooks/settings.js';
import { createStripeIntegration } from '../integrations/stripe/settings.js';
import { enqueue } from '../jobs/queue.js';
import { Worker } from '../jobs/worker.js';
import { createMailTransport, type MailTransport } from '../email/transport.js';
import type { Logger } from '../logger.js';
import { loadSecretBox } from '../security/secret-box.js';
import { openDatabase } from './database.js';
import { ensureFirstRunAccount, firstRunBanner } from './first-run.js';
import { planSandbox, sandboxWanted, setUpSandbox, startSandbox } from './sandbox/index.js';
import { allJobHandlers } from './job-handlers.js';
import { MAINTENANCE_JOB, maintenanceDedupeKey } from './maintenance.js';

export interface ProcessRoles {
  readonly api: boolean;
  readonly worker: boolean;
}

export interface RunningProcess {
  readonly url: string | undefined;
  /** Drains: stops taking requests and jobs, lets running ones finish (up to the grace period). */
  stop(): Promise<void>;
}

const MAINTENANCE_EVERY_MS = 15 * 60 * 1000;

/** The API's address is taken: the process stops, having closed everything it opened. */
export class PortInUseError extends Error {}

/**
 * One ledgerbridge process: the API, the workers, or both (`start`). Many of them can share one
 * PostgreSQL server; the queue's leases keep their work apart.
 */
export async function runProcess(
  configured: Config,
  logger: Logger,
  roles: ProcessRoles,
): Promise<RunningProcess> {
  // Before the database: a bad key file stops the process with nothing opened yet.
  const secretBox = loadSecretBox(configured);
  const wantsSandbox = roles.api && sandboxWanted(configured);
  const plan = wantsSandbox ? await planSandbox(configured) : {};
  if (plan.setAside) {
    logger.info(plan.setAside, 'sandbox: the previous one cannot be continued; it was set aside');
  }
  if (plan.continued) {
    const startedAt = plan.continued.credentials.sandbox_started_at;
    logger.info({ startedAt }, 'sandbox: continuing the one started earlier');
  }
  const database = await openDatabase(configured);
  const { db } = database;
  // No credentials on an embedded install: the emulators start, and the config points at them.
  const sandbox = wantsSandbox
    ? await startSandbox(configured, plan.continued).catch(async (error: unknown) => {
        await database.close();
        throw error;
      })
    : undefined;
  const config = sandbox?.config ?? configured;
  const stripe = createStripeIntegration(config, secretBox);
  const quickbooks = createQuickBooksIntegration(config, secretBox);
  logger.info({ database: database.location, kind: db.kind }, 'database ready');

  let app: FastifyInstance | undefined;
  let url: string | undefined;
  if (roles.api) {
    app = await buildApp({
      db,
      logger,
      cookieSecure: config.cookieSecure,
      sessionTtlHours: config.sessionTtlHours,
      stripe,
      quickbooks,
    });
    try {
      url = await app.listen({ host: config.host, port: config.port });
    } catch (error) {
      // Close what is open (above all the embedded database, whose files an abrupt exit can leave
      // needing recovery) and say what to do instead of a stack trace.
      await app.close();
      await sandbox?.close();
      await database.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new PortInUseError(
          `${config.host}:${config.port} is already in use (another ledgerbridge?). Stop what is listening ` +
            'there, or set PORT (and HOST) to another address.',
        );
      }
      throw error;
    }
    // The embedded install is a sandbox: make it usable without any setup step.
    if (!config.databaseUrl) {
      let credentials = await ensureFirstRunAccount(db, config.dataDir);
      if (credentials && sandbox && !sandbox.continued)
        credentials = await setUpSandbox(sandbox, credentials, config.dataDir, logger);
      if (credentials) process.stdout.write(`${firstRunBanner(credentials, url, config.dataDir)}\n`);
    }
  }

  let worker: Worker | undefined;
  let maintenanceTimer: NodeJS.Timeout | undefined;
  let mail: MailTransport | undefined;
  if (roles.worker) {
    mail = createMailTransport(config.mail);
    worker = new Worker({
      db,
      logger,
      concurrency: config.workerConcurrency,
      handlers: allJobHandlers({ db, stripe, quickbooks, mail, logger }),
    });
    worker.start();
    // Periodic work is enqueued under per-period dedupe keys, so any number of worker processes
    // scheduling it still run it once per period.
    const schedule = () => {
      enqueue(db, {
        tenantId: null,
        type: MAINTENANCE_JOB,
        payload: {},
        dedupeKey: maintenanceDedupeKey(new Date()),
      }).catch((error: unknown) => logger.warn({ err: error }, 'could not schedule maintenance'));
      // A missed Stripe webhook is still applied: each connection's events are re-read from Stripe.
      scheduleStripeReconciliation(db).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not schedule Stripe reconciliation'),
      );
      // Likewise for QuickBooks: each connection's changes are re-read through change data capture.
      scheduleQuickBooksCdc(db).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not schedule the QuickBooks CDC sweep'),
      );
    };
    void schedule();
    maintenanceTimer = setInterval(schedule, MAINTENANCE_EVERY_MS);
    maintenanceTimer.unref();
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        const graceMs = config.shutdownGraceSeconds * 1000;
        logger.info({ graceMs }, 'draining');
        if (maintenanceTimer) clearInterval(maintenanceTimer);
        await Promise.all([app?.close(), worker?.stop({ graceMs })]);
        mail?.close();
        await sandbox?.close();
        await database.close();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}
