/**
 * QuickBooks' idempotency: a `requestid` query parameter (≤ 50 characters, unique per company)
 * makes a repeated request answer the first one's response instead of running again. The first
 * answer is kept (a promise while it is still running, so a retry racing it waits for it).
 */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

/** The answers kept, per realm, oldest first: `[realmId, [[requestId, response], …]]`. */
export type RequestIdSnapshot = [string, [string, StoredResponse][]][];

export const REQUEST_ID_MAX_LENGTH = 50;
const KEPT_PER_REALM = 10_000;

interface Entry {
  readonly answer: Promise<StoredResponse | undefined>;
  /** Set once the first request settled with an answer; what a snapshot keeps. */
  response: StoredResponse | undefined;
}

export class RequestIdStore {
  private readonly realms = new Map<string, Map<string, Entry>>();

  /** The first response for this id, or undefined when this request is the first: then call `settle`. */
  lookup(realmId: string, requestId: string): Promise<StoredResponse | undefined> | undefined {
    return this.realms.get(realmId)?.get(requestId)?.answer;
  }

  /**
   * Claims the id; `settle(response)` records the answer to replay, `settle(undefined)` forgets the
   * id (a request that did no work — throttled, injected failure — may be retried for real).
   */
  claim(realmId: string, requestId: string): (response: StoredResponse | undefined) => void {
    const realm = this.realm(realmId);
    let resolve!: (response: StoredResponse | undefined) => void;
    const entry: Entry = { answer: new Promise((done) => (resolve = done)), response: undefined };
    realm.set(requestId, entry);
    this.trim(realm);
    return (response) => {
      if (!response) realm.delete(requestId);
      entry.response = response;
      resolve(response);
    };
  }

  clear(): void {
    this.realms.clear();
  }

  /** The settled answers; ids whose first request is still running are left out (it never answered). */
  snapshot(): RequestIdSnapshot {
    return [...this.realms].map(([realmId, realm]) => [
      realmId,
      [...realm].flatMap(([id, entry]) =>
        entry.response ? [[id, entry.response] as [string, StoredResponse]] : [],
      ),
    ]);
  }

  restore(snapshot: RequestIdSnapshot): void {
    for (const [realmId, answers] of snapshot) {
      const realm = this.realm(realmId);
      for (const [id, response] of answers) realm.set(id, { answer: Promise.resolve(response), response });
      this.trim(realm);
    }
  }

  private realm(realmId: string): Map<string, Entry> {
    let realm = this.realms.get(realmId);
    if (!realm) {
      realm = new Map();
      this.realms.set(realmId, realm);
    }
    return realm;
  }

  private trim(realm: Map<string, Entry>): void {
    while (realm.size > KEPT_PER_REALM) {
      const oldest = realm.keys().next().value;
      if (oldest === undefined) return;
      realm.delete(oldest);
    }
  }
}
