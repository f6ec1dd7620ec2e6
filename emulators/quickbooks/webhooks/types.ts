import type { WebhookFormat } from './payload.js';

/** Intuit's schedule after a failed POST: 10 s, 20 s, 30 s, 5 min, 20 min, 2 h, 4 h, 6 h, then every 6 h. */
export const INTUIT_RETRY_DELAYS_MS: readonly number[] = [
  10_000, 20_000, 30_000, 300_000, 1_200_000, 7_200_000, 14_400_000, 21_600_000,
];

export interface QboWebhookOptions {
  readonly verifierToken: string;
  readonly format?: WebhookFormat;
  /** Delay before each retry; the last one repeats for every later attempt. */
  readonly retryDelaysMs?: readonly number[];
  /** How long changes gather before they leave together (Intuit batches them too). */
  readonly batchWindowMs?: number;
  /** How long the endpoint has to answer before the attempt fails (Intuit: 3 s). */
  readonly timeoutMs?: number;
  /** Attempts per POST before it is abandoned; unlimited by default, as Intuit keeps retrying. */
  readonly maxAttempts?: number;
  /** CloudEvents `source`; derived from the verifier token when absent. */
  readonly source?: string;
  /**
   * Whether the app is connected to a company; Intuit notifies only about connected companies.
   * Changes of others are ignored. Every company counts as connected when absent.
   */
  readonly connected?: (realmId: string) => boolean;
}

/** Misbehaviours a test can switch on, to check a receiver copes with what Intuit may do. */
export interface WebhookSwitches {
  format: WebhookFormat;
  /** Every POST is sent a second time once the first is acknowledged. */
  duplicate: boolean;
  /** Each change goes in a POST of its own, the POSTs of a window reversed or shuffled. */
  shuffle: false | 'reverse' | 'shuffle';
  /** Nothing is sent (retries included) until unpaused; changes keep gathering. */
  paused: boolean;
  /** The next this-many changes are never delivered, as if Intuit lost them. */
  dropNext: number;
}

export interface DeliveryAttempt {
  readonly post_id: string;
  readonly attempt: number;
  readonly url: string;
  readonly duplicate: boolean;
  readonly event_ids: readonly string[];
  readonly status: number | null;
  readonly error: string | null;
  readonly delivered: boolean;
  readonly at: string;
}

export interface DroppedChange {
  readonly realm_id: string;
  readonly entity: string;
  readonly id: string;
  readonly operation: string;
  readonly at: string;
}
