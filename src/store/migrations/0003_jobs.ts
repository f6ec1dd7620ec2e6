import type { Migration } from '../migrate.js';

/**
 * The durable job queue (src/jobs). Jobs are rows, inserted in the same transaction as the change
 * that causes them (a transactional outbox), and claimed with FOR UPDATE SKIP LOCKED under a lease.
 *
 * - seq orders jobs that share an ordering key; enqueue serializes same-key enqueuers on an advisory
 *   lock so seq order is also commit order.
 * - dedupe keys are unique per tenant forever (system jobs share the '' scope), so an integration
 *   that enqueues "push invoice inv_1 to QuickBooks" twice gets one job even after the first finished.
 * - job_ordering_leases holds one row per ordering key while a job with that key runs; its primary
 *   key is what makes "never two at once" hold between concurrent claimers.
 * - job_queue_limits holds per-connection limits; claimers lock the row FOR UPDATE and count running
 *   jobs and recent starts (job_rate_starts) in later statements, which see every committed claim.
 */
export const jobs: Migration = {
  id: '0003',
  name: 'jobs',
  sql: `
CREATE TABLE jobs (
  id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id text REFERENCES tenants(id),
  type text NOT NULL CHECK (type <> ''),
  payload jsonb NOT NULL DEFAULT 'null',
  state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  run_at timestamptz NOT NULL,
  dedupe_key text,
  ordering_key text,
  concurrency_key text,
  lease_owner text,
  lease_expires_at timestamptz,
  -- a short, redacted message for operators; never a stack, never request bodies
  last_error text,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
  CHECK ((state IN ('succeeded', 'dead', 'cancelled')) = (finished_at IS NOT NULL))
);
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs ((COALESCE(tenant_id, '')), dedupe_key) WHERE dedupe_key IS NOT NULL;
-- the claim scan: due jobs in run_at order
CREATE INDEX jobs_claim_idx ON jobs (run_at, seq) WHERE state = 'queued';
-- the reaper scan: running jobs whose lease ran out
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE state = 'running';
-- "is this the first unfinished job of its ordering key?"
CREATE INDEX jobs_ordering_idx ON jobs (ordering_key, seq) WHERE ordering_key IS NOT NULL AND state IN ('queued', 'running');
-- "how many jobs of this connection are running?"
CREATE INDEX jobs_concurrency_idx ON jobs (concurrency_key) WHERE concurrency_key IS NOT NULL AND state = 'running';
-- tenant listings, paginated by id
CREATE INDEX jobs_tenant_idx ON jobs (tenant_id, id);
CREATE INDEX jobs_tenant_state_idx ON jobs (tenant_id, state, id);

CREATE TABLE job_ordering_leases (
  ordering_key text PRIMARY KEY,
  job_id text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_ordering_leases_job_idx ON job_ordering_leases (job_id);

CREATE TABLE job_queue_limits (
  key text PRIMARY KEY,
  max_concurrent integer CHECK (max_concurrent >= 1),
  per_minute integer CHECK (per_minute >= 1),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- one row per job start under a rate-limited key; rows older than a minute are pruned by claimers
CREATE TABLE job_rate_starts (
  key text NOT NULL,
  started_at timestamptz NOT NULL,
  job_id text NOT NULL
);
CREATE INDEX job_rate_starts_idx ON job_rate_starts (key, started_at);
`,
};
