import type { JobHandler } from '../../../jobs/handler.js';
import type { QboDeps } from '../connection/session.js';
import { createCdcSweeper, QBO_CDC_JOB } from './cdc.js';
import { QBO_NOTIFICATION_JOB } from './inbox.js';
import { createNotificationProcessor } from './processor.js';

/**
 * Every job type of the QuickBooks pull with its handler; src/runtime/process.ts spreads this into
 * the Worker's handlers (every worker registers every type).
 */
export function quickbooksInboundJobHandlers(deps: QboDeps): Record<string, JobHandler> {
  return {
    [QBO_NOTIFICATION_JOB]: createNotificationProcessor(deps),
    [QBO_CDC_JOB]: createCdcSweeper(deps),
  };
}
