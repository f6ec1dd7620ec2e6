import type { Migration } from '../migrate.js';

/**
 * Workflow definitions and outgoing email.
 *
 * A workflow is a named graph for one form type; every save is a new row of workflow_definitions
 * (numbered per workflow) and rows there are never changed or deleted — a trigger refuses it —
 * because each invoice's run records the definition it started with and finishes on it. One
 * workflow per (tenant, form type) is bound: new runs start on its latest definition. The built-in
 * default is provisioned at most once per tenant (origin 'default', unique per form type).
 *
 * emails is the outbox and, without SMTP, the mail catcher itself: a message is recorded under its
 * (tenant, idempotency key) before it is handed to SMTP, so a retry finds it instead of sending again.
 */
export const workflowsEmail: Migration = {
  id: '0012',
  name: 'workflows_email',
  sql: `
CREATE TABLE workflows (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  form_type text NOT NULL,
  name text NOT NULL,
  origin text NOT NULL DEFAULT 'custom' CHECK (origin IN ('default', 'custom')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  latest_version integer NOT NULL DEFAULT 0 CHECK (latest_version >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX workflows_form_type_idx ON workflows (tenant_id, form_type);
CREATE UNIQUE INDEX workflows_one_default_idx ON workflows (tenant_id, form_type) WHERE origin = 'default';

CREATE TABLE workflow_definitions (
  tenant_id text NOT NULL,
  id text NOT NULL,
  workflow_id text NOT NULL,
  form_type text NOT NULL,
  name text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  graph jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, workflow_id, version),
  FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id)
);

CREATE FUNCTION workflow_definitions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'workflow definitions are immutable: save a new version instead'
    USING ERRCODE = 'check_violation';
END;
$$;
CREATE TRIGGER workflow_definitions_immutable BEFORE UPDATE OR DELETE ON workflow_definitions
  FOR EACH ROW EXECUTE FUNCTION workflow_definitions_are_immutable();

CREATE TABLE workflow_bindings (
  tenant_id text NOT NULL,
  form_type text NOT NULL,
  workflow_id text NOT NULL,
  bound_by text NOT NULL,
  bound_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, form_type),
  FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id)
);

CREATE TABLE emails (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  idempotency_key text NOT NULL,
  to_addresses text[] NOT NULL CHECK (cardinality(to_addresses) >= 1),
  from_address text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text NOT NULL,
  template text NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
  transport text NOT NULL CHECK (transport IN ('catcher', 'smtp')),
  provider_message_id text,
  error text,
  attempts integer NOT NULL DEFAULT 0,
  -- While set and in the future, one sender is handing the message to the transport.
  claimed_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, idempotency_key),
  CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX emails_status_idx ON emails (tenant_id, status);
`,
};
