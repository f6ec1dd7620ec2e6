import type { MailTransport } from '../email/transport.js';
import { quickbooksInboundJobHandlers } from '../integrations/quickbooks/inbound/jobs.js';
import type { RealmRate } from '../integrations/quickbooks/sync/pace.js';
import { quickbooksSyncJobHandlers } from '../integrations/quickbooks/sync/index.js';
import type { QuickBooksIntegration } from '../integrations/quickbooks/types.js';
import { stripeJobHandlers } from '../integrations/stripe/jobs.js';
import type { StripeIntegration } from '../integrations/stripe/settings.js';
import { stripeSyncJobHandlers } from '../integrations/stripe/sync/index.js';
import type { JobHandler, JobLogger } from '../jobs/handler.js';
import type { Db } from '../store/db.js';
import { withWorkflowWakes, workflowJobHandlers } from '../workflows/engine/handlers.js';
import { cleanUpExpiredAccessData, MAINTENANCE_JOB } from './maintenance.js';

export interface JobHandlerDeps {
  readonly db: Db;
  readonly stripe: StripeIntegration;
  readonly quickbooks: QuickBooksIntegration;
  readonly mail: MailTransport;
  readonly logger?: JobLogger;
  /** The QuickBooks push's request rate per realm; QuickBooks' real minute by default. */
  readonly quickbooksRealmRate?: RealmRate;
}

/**
 * Every job type with its handler. A worker dead-letters a type it has no handler for, so every
 * worker process — and every test that runs a worker over the whole product — registers this one
 * set, and none can drift from another.
 */
export function allJobHandlers(deps: JobHandlerDeps): Record<string, JobHandler> {
  const { db, stripe, quickbooks } = deps;
  // The Stripe and QuickBooks pushes wake the workflow steps waiting for them when they end.
  return withWorkflowWakes(
    db,
    {
      [MAINTENANCE_JOB]: async () => cleanUpExpiredAccessData(db),
      ...stripeJobHandlers({ db, stripe }),
      ...stripeSyncJobHandlers({ db, stripe }),
      ...quickbooksInboundJobHandlers({ db, quickbooks }),
      ...quickbooksSyncJobHandlers({
        db,
        quickbooks,
        ...(deps.quickbooksRealmRate ? { realmRate: deps.quickbooksRealmRate } : {}),
      }),
      ...workflowJobHandlers({ db, mail: deps.mail, secrets: stripe.secrets }),
    },
    deps.logger,
  );
}
