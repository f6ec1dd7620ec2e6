/**
 * What changed in an emulated company, published by the kernel after each committed write (API,
 * batch item or a person's action) and consumed by webhook delivery. Shared by kernel/ and webhooks/.
 */
export type ChangeOperation = 'Create' | 'Update' | 'Delete' | 'Merge' | 'Void' | 'Emailed';

export interface ChangeEvent {
  readonly realmId: string;
  /** Entity name as in the API: 'Invoice', 'Customer', 'Payment', … */
  readonly entity: string;
  readonly id: string;
  readonly operation: ChangeOperation;
  /** The object's MetaData.LastUpdatedTime (ISO 8601 with offset). */
  readonly lastUpdated: string;
}

export type ChangeListener = (event: ChangeEvent) => void;

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: ChangeEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
