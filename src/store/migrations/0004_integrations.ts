import type { Migration } from '../migrate.js';

/**
 * The integration foundations shared by Stripe and QuickBooks Online.
 *
 * - integration_connections: one row per connection ever made. Disconnecting wipes the credentials
 *   and keeps the row, so "who connected which account when" survives. At most one live
 *   (non-disconnected) connection per tenant and provider, and one live owner per provider account:
 *   webhooks name the account, and must resolve to exactly one tenant.
 * - oauth_states: the OAuth `state` parameter, stored as its SHA-256, bound to the tenant and the
 *   principal who started the flow, single use, short-lived.
 * - webhook_inbox: every verified delivery, keyed by the provider's event id. The unique key is the
 *   dedupe gate: a redelivered event conflicts and is neither stored nor processed again.
 * - external_links: the exactly-once map between our objects and the provider's. Unique both ways,
 *   so one contact never gets two Stripe customers and one customer never backs two contacts.
 *
 * Credential columns hold src/security/secret-box.ts envelopes, never clear text.
 */
export const integrations: Migration = {
  id: '0004',
  name: 'integrations',
  sql: `
CREATE TABLE integration_connections (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  provider text NOT NULL CHECK (provider IN ('stripe', 'quickbooks')),
  status text NOT NULL CHECK (status IN ('connected', 'needs_reauth', 'disconnected')),
  method text NOT NULL CHECK (method IN ('oauth', 'api_key')),
  -- acct_… for Stripe, the realmId for QuickBooks
  external_account_id text NOT NULL,
  credentials text,
  webhook_secret text,
  webhook_endpoint_id text,
  settings jsonb NOT NULL DEFAULT '{}',
  -- actors as in timelines: user:usr_…, api_key:key_…, or the provider itself (stripe)
  connected_by text NOT NULL,
  connected_at timestamptz NOT NULL DEFAULT now(),
  disconnected_by text,
  disconnected_at timestamptz,
  last_verified_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK ((status = 'disconnected') = (disconnected_at IS NOT NULL)),
  -- a live connection always has credentials; a disconnected one never keeps any
  CHECK ((status = 'disconnected') = (credentials IS NULL)),
  CHECK (status <> 'disconnected' OR webhook_secret IS NULL)
);
CREATE UNIQUE INDEX integration_connections_live ON integration_connections (tenant_id, provider)
  WHERE status <> 'disconnected';
CREATE UNIQUE INDEX integration_connections_live_account ON integration_connections (provider, external_account_id)
  WHERE status <> 'disconnected';

CREATE TABLE oauth_states (
  state_hash text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  actor text NOT NULL,
  provider text NOT NULL CHECK (provider IN ('stripe', 'quickbooks')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX oauth_states_expires_idx ON oauth_states (expires_at);

CREATE TABLE webhook_inbox (
  id text PRIMARY KEY,
  provider text NOT NULL CHECK (provider IN ('stripe', 'quickbooks')),
  event_id text NOT NULL,
  -- the connected account (acct_…) or realm the event is about, when it says
  account text,
  -- resolved from the account at receipt; NULL when no tenant has it connected (status 'ignored')
  tenant_id text REFERENCES tenants(id),
  type text NOT NULL,
  payload jsonb NOT NULL,
  raw_body_sha256 text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL CHECK (status IN ('pending', 'processing', 'processed', 'failed', 'ignored')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  processed_at timestamptz,
  last_error text,
  -- why an event was ignored (unknown account, a type handled in a later version): not an error
  note text,
  UNIQUE (provider, event_id),
  CHECK (status = 'ignored' OR tenant_id IS NOT NULL)
);
CREATE INDEX webhook_inbox_tenant_idx ON webhook_inbox (tenant_id, received_at);
CREATE INDEX webhook_inbox_status_idx ON webhook_inbox (status, received_at) WHERE status IN ('pending', 'failed');

CREATE TABLE external_links (
  tenant_id text NOT NULL REFERENCES tenants(id),
  provider text NOT NULL CHECK (provider IN ('stripe', 'quickbooks')),
  local_type text NOT NULL CHECK (local_type IN ('contact', 'service', 'invoice', 'payment', 'refund', 'subscription')),
  local_id text NOT NULL,
  external_id text NOT NULL CHECK (external_id <> ''),
  external_account text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, provider, local_type, local_id),
  UNIQUE (tenant_id, provider, local_type, external_id)
);
`,
};
