import type { Migration } from '../migrate.js';

/**
 * Workflow runs: the durable state of the engine (src/workflows/engine/).
 *
 * - workflow_runs: one per invoice (or, for a contact trigger, per contact), recording the definition
 *   version it started on; it finishes on that version whatever is saved later.
 * - workflow_tokens: one row per node execution. `cause` says what brought the run to the node (a
 *   trigger event, or `<previous token>:<edge kind>`) and is unique per node, so following an edge
 *   twice (a retried job) creates nothing new. `job_id` names the job executing the token while it
 *   is running: a job re-run after a crash finds its own claim and carries on.
 * - workflow_join_arrivals: which incoming tracks reached a join, one row per source node; the join
 *   fires once all of them arrived (counted under the run's row lock).
 * - workflow_automation_settings: per tenant, the review-request automation and the secret that
 *   signs webhook nodes' payloads.
 */
export const workflowRuns: Migration = {
  id: '0013',
  name: 'workflow_runs',
  sql: `
CREATE TABLE workflow_runs (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  invoice_id text,
  contact_id text NOT NULL,
  workflow_definition_id text NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
  cancel_reason text,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
  FOREIGN KEY (tenant_id, workflow_definition_id) REFERENCES workflow_definitions (tenant_id, id),
  CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE UNIQUE INDEX workflow_runs_invoice_idx ON workflow_runs (tenant_id, invoice_id) WHERE invoice_id IS NOT NULL;
CREATE UNIQUE INDEX workflow_runs_contact_idx ON workflow_runs (tenant_id, contact_id) WHERE invoice_id IS NULL;

CREATE TABLE workflow_tokens (
  tenant_id text NOT NULL,
  id text NOT NULL,
  run_id text NOT NULL,
  node_id text NOT NULL,
  node_type text NOT NULL,
  cause text NOT NULL,
  from_node_id text,
  edge_kind text,
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'running', 'waiting', 'done', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  error text,
  failure_handled boolean NOT NULL DEFAULT false,
  waiting_for text,
  due_at timestamptz,
  job_id text,
  wakes integer NOT NULL DEFAULT 0,
  retries integer NOT NULL DEFAULT 0,
  followed text[] NOT NULL DEFAULT '{}',
  result jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, run_id, node_id, cause),
  FOREIGN KEY (tenant_id, run_id) REFERENCES workflow_runs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX workflow_tokens_open_idx ON workflow_tokens (tenant_id, run_id)
  WHERE state IN ('pending', 'running', 'waiting');

CREATE TABLE workflow_join_arrivals (
  tenant_id text NOT NULL,
  run_id text NOT NULL,
  node_id text NOT NULL,
  from_node_id text NOT NULL,
  token_id text NOT NULL,
  arrived_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, run_id, node_id, from_node_id),
  FOREIGN KEY (tenant_id, run_id) REFERENCES workflow_runs (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE workflow_automation_settings (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  review_request_enabled boolean NOT NULL DEFAULT false,
  review_url text,
  webhook_secret text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT review_request_enabled OR review_url IS NOT NULL)
);
`,
};
