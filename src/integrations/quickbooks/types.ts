import type { SecretBox } from '../../security/secret-box.js';
import type { Connection } from '../../store/repositories/integration-connections.js';

/**
 * The contract between the parts of the QuickBooks Online integration: the connection (OAuth,
 * tokens, settings, the API client), the outbound sync (push) and the inbound sync (pull).
 */

/** Platform-level QuickBooks settings (docs/configuration.md). */
export interface QuickBooksSettings {
  /** `https://quickbooks.api.intuit.com` (or sandbox-, or an emulator); `/v3/company/{realmId}/…` below it. */
  readonly apiBase: string;
  /** OAuth authorize page, e.g. `https://appcenter.intuit.com/connect/oauth2`. */
  readonly authorizeUrl: string;
  /** OAuth token endpoint, e.g. `https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer`. */
  readonly tokenUrl: string;
  /** OAuth revoke endpoint. */
  readonly revokeUrl: string;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  /** Verifier tokens for `intuit-signature` (several while rotating). */
  readonly webhookVerifierTokens: readonly string[];
  /** Where Intuit sends the user back: `${publicUrl}/api/v1/integrations/quickbooks/oauth/callback`. */
  readonly publicUrl: string | undefined;
  readonly minorVersion: number;
  readonly timeoutMs: number;
}

export interface QuickBooksIntegration {
  readonly settings: QuickBooksSettings;
  /** Encrypts tokens at rest (the same SecretBox as Stripe's). */
  readonly secrets: SecretBox;
  /** Wall-clock milliseconds; tests pin it. */
  readonly now: () => number;
}

/** Per-connection settings, stored in integration_connections.settings; every field has a safe default. */
export interface QuickBooksConnectionSettings {
  /** Import QuickBooks customers as contacts (all at connect, then new and changed ones). Default true. */
  readonly contacts_import: boolean;
  /** Push ledgerbridge invoices (and their payments, refunds) to QuickBooks. Default true. */
  readonly invoices_push: boolean;
  /** Pull invoices created or changed in QuickBooks. Default true. */
  readonly invoices_pull: boolean;
  /** 'new_only' (default): only invoices created after connecting; 'backfill': existing ones too. */
  readonly invoice_scope: 'new_only' | 'backfill';
  /** Turn Stripe payouts into QuickBooks Deposits. Default false (manual reconciliation). */
  readonly create_deposits: boolean;
  /** The QuickBooks bank Account Id deposits go to; required when create_deposits is on. */
  readonly deposit_account_id: string | null;
  /** Expense Account Id for Stripe fees on deposits; required when create_deposits is on. */
  readonly fee_account_id: string | null;
  /** Income Account Id for Service items; null: the company's first active Income account. */
  readonly income_account_id: string | null;
  /** ledgerbridge tax rate id → QuickBooks TaxCode Id. */
  readonly tax_code_map: Readonly<Record<string, string>>;
}

/** A QuickBooks entity object as JSON (field names as in Intuit's XSDs). */
export type QboObject = Record<string, unknown> & { readonly Id?: string; readonly SyncToken?: string };

export interface QboErrorDetail {
  readonly code: string;
  readonly message: string;
  readonly detail: string;
  readonly element?: string | undefined;
}

/** A `Fault` answer (any HTTP status, or a batch item). `has('5010')` tests for a code. */
export class QboFaultError extends Error {
  constructor(
    readonly faultType: string,
    readonly errors: readonly QboErrorDetail[],
    readonly status: number,
  ) {
    super(
      `QuickBooks ${faultType}: ` +
        errors
          .map((error) => `${error.code} ${error.message}${error.detail ? ` (${error.detail})` : ''}`)
          .join('; '),
    );
    this.name = 'QboFaultError';
  }
  has(code: string): boolean {
    return this.errors.some((error) => error.code === code);
  }
}

/** 429 / Fault 3001: wait `retryAfterMs` before the next call to this realm. */
export class QboThrottledError extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`QuickBooks throttled the request; retry after ${Math.round(retryAfterMs / 1000)} s`);
    this.name = 'QboThrottledError';
  }
}

/**
 * A 5xx, a timeout or a dropped connection: the request may or may not have taken effect. Creates
 * after this look the object up (DocNumber, private-note tag) before trying again.
 */
export class QboUncertainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QboUncertainError';
  }
}

/**
 * The connection cannot be used until a person reconnects (invalid_grant, revoked, disconnected).
 * Job handlers let it propagate: the queue waits instead of failing (see connection/pause.ts).
 */
export class QboReauthorizationRequiredError extends Error {
  constructor(
    message: string,
    readonly tenantId: string,
  ) {
    super(message);
    this.name = 'QboReauthorizationRequiredError';
  }
}

export type QboBatchOperation = 'create' | 'update' | 'delete' | 'void';

export type QboBatchItem =
  | {
      readonly bId: string;
      readonly operation: QboBatchOperation;
      readonly entity: string;
      readonly body: QboObject;
    }
  | { readonly bId: string; readonly query: string };

export type QboBatchResult =
  | { readonly bId: string; readonly object: QboObject; readonly entity: string }
  | { readonly bId: string; readonly rows: readonly QboObject[]; readonly totalCount?: number | undefined }
  | { readonly bId: string; readonly fault: QboFaultError };

export interface QboRequestOptions {
  /** Sent as `requestid` (≤ 50 chars): QuickBooks replays the first response for the same id. */
  readonly requestId?: string;
}

/**
 * One realm's Accounting API with a valid access token (refreshed before expiry by the connection).
 * Entity names as in the API (`Invoice`, `Customer`, …). Throws QboFaultError, QboThrottledError,
 * QboUncertainError or QboReauthorizationRequiredError.
 */
export interface QboClient {
  readonly realmId: string;
  create(entity: string, body: QboObject, options?: QboRequestOptions): Promise<QboObject>;
  /** undefined when QuickBooks answers 610 (not found, or deleted). */
  read(entity: string, id: string): Promise<QboObject | undefined>;
  /** Sparse unless `body.sparse === false`; carries Id and SyncToken. */
  update(entity: string, body: QboObject, options?: QboRequestOptions): Promise<QboObject>;
  delete(entity: string, ref: { Id: string; SyncToken: string }, options?: QboRequestOptions): Promise<void>;
  void(
    entity: string,
    ref: { Id: string; SyncToken: string },
    options?: QboRequestOptions,
  ): Promise<QboObject>;
  /** `SELECT * FROM …`: the rows of the entity named in the query (empty when none). */
  query(text: string): Promise<QboObject[]>;
  count(text: string): Promise<number>;
  batch(items: readonly QboBatchItem[], options?: QboRequestOptions): Promise<QboBatchResult[]>;
  /** Change data capture: objects per entity name; deleted ones carry `status: 'Deleted'`. */
  cdc(entities: readonly string[], changedSince: Date): Promise<Record<string, QboObject[]>>;
  /** The API calls this client made (benchmarks report calls per invoice). */
  readonly calls: number;
}

/** What sync code gets for a tenant: its live connection, settings with defaults, and a client. */
export interface QboSession {
  readonly connection: Connection;
  readonly settings: QuickBooksConnectionSettings;
  readonly client: QboClient;
}
