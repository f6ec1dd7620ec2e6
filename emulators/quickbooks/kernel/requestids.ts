/**
 * QuickBooks' idempotency: a `requestid` query parameter (≤ 50 characters, unique per company)
 * makes a repeated request answer the first one's response instead of running again. The first
 * answer is kept (a promise while it is still running, so a retry racing it waits for it).
 */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

export const REQUEST_ID_MAX_LENGTH = 50;
const KEPT_PER_REALM = 10_000;

export class RequestIdStore {
  private readonly realms = new Map<string, Map<string, Promise<StoredResponse | undefined>>>();

  /** The first response for this id, or undefined when this request is the first: then call `settle`. */
  lookup(realmId: string, requestId: string): Promise<StoredResponse | undefined> | undefined {
    return this.realms.get(realmId)?.get(requestId);
  }

  /**
   * Claims the id; `settle(response)` records the answer to replay, `settle(undefined)` forgets the
   * id (a request that did no work — throttled, injected failure — may be retried for real).
   */
  claim(realmId: string, requestId: string): (response: StoredResponse | undefined) => void {
    let realm = this.realms.get(realmId);
    if (!realm) {
      realm = new Map();
      this.realms.set(realmId, realm);
    }
    let resolve!: (response: StoredResponse | undefined) => void;
    realm.set(requestId, new Promise((done) => (resolve = done)));
    if (realm.size > KEPT_PER_REALM) {
      const oldest = realm.keys().next().value;
      if (oldest !== undefined) realm.delete(oldest);
    }
    const owner = realm;
    return (response) => {
      if (!response) owner.delete(requestId);
      resolve(response);
    };
  }

  clear(): void {
    this.realms.clear();
  }
}
