import type { EdgeKind, WorkflowGraph, WorkflowNode } from '../../domain/workflows/index.js';
import type { MailTransport } from '../../email/transport.js';
import type { SecretBox } from '../../security/secret-box.js';
import type { Db, Queryable } from '../../store/db.js';
import type { WorkflowRun } from '../../store/repositories/workflow-runs.js';
import type { WorkflowToken } from '../../store/repositories/workflow-tokens.js';

/** What the engine's jobs need from the process: the database, the mail transport, the SecretBox. */
export interface EngineDeps {
  readonly db: Db;
  readonly mail: MailTransport;
  /** Opens the webhook signing secrets, which are encrypted at rest. */
  readonly secrets: SecretBox;
  /** For webhook nodes; the global fetch unless a test passes its own. */
  readonly fetch?: typeof fetch;
}

/** Why a token waits: shown in the run state, and what a wake names. */
export type WaitReason = 'payment_link' | 'payment' | 'quickbooks_sync' | 'person' | 'time';

export interface TimelineNote {
  readonly kind: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * What executing a node decided. Node executors make their side effects (each keyed so a repeat is
 * a no-op) and return one of these; the runner then records it, in one transaction with `commit`
 * (a change that must happen together with the step, e.g. a status) and the edges followed.
 */
export type Outcome =
  | {
      readonly kind: 'done';
      readonly follow: readonly EdgeKind[];
      readonly result?: Readonly<Record<string, unknown>>;
      readonly commit?: (tx: Queryable) => Promise<void>;
      readonly timeline?: TimelineNote;
    }
  | {
      readonly kind: 'wait';
      readonly waitingFor: WaitReason;
      /** When the wait ends by itself (a wait node, a status update's timeout). */
      readonly dueAt?: Date;
      /** Look again after this long even without a wake: the fallback of an event-driven wait. */
      readonly recheckMs?: number;
      /** Edges to follow already while the token keeps waiting (collect_payment's `next`). */
      readonly follow?: readonly EdgeKind[];
      readonly result?: Readonly<Record<string, unknown>>;
      readonly timeline?: TimelineNote;
    }
  | { readonly kind: 'fail'; readonly error: string };

export interface NodeExecution {
  readonly deps: EngineDeps;
  readonly run: WorkflowRun;
  readonly token: WorkflowToken;
  readonly node: WorkflowNode;
  readonly graph: WorkflowGraph;
  readonly now: Date;
}

export type NodeExecutor = (execution: NodeExecution) => Promise<Outcome>;
