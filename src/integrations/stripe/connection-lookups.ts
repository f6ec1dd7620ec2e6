import type { Queryable } from '../../store/db.js';
import {
  type Connection,
  findLiveConnectionByAccount,
  listWebhookSecretHolders,
} from '../../store/repositories/integration-connections.js';

const TTL_MS = 5_000;

/**
 * The connection lookups every webhook delivery makes, remembered for a few seconds. Only answers
 * that found a connection are kept: a just-made connection is seen at once, while a disconnection
 * may take up to TTL_MS to be noticed here — harmless, since processing re-checks the connection.
 */
export class ConnectionLookups {
  private readonly holders = new Map<string, { at: number; value: Connection[] }>();
  private readonly byAccount = new Map<string, { at: number; value: Connection }>();

  constructor(
    private readonly db: Queryable,
    private readonly now: () => number = Date.now,
  ) {}

  /** `fresh` skips the remembered answer (a signature matched none of the remembered secrets). */
  async secretHolders(account: string | undefined, options: { fresh?: boolean } = {}): Promise<Connection[]> {
    const key = account ?? '';
    const cached = this.holders.get(key);
    if (!options.fresh && cached && this.now() - cached.at < TTL_MS) return cached.value;
    const value = await listWebhookSecretHolders(this.db, 'stripe', account);
    if (value.length > 0) this.holders.set(key, { at: this.now(), value });
    else this.holders.delete(key);
    return value;
  }

  async connectionByAccount(account: string): Promise<Connection | undefined> {
    const cached = this.byAccount.get(account);
    if (cached && this.now() - cached.at < TTL_MS) return cached.value;
    const value = await findLiveConnectionByAccount(this.db, 'stripe', account);
    if (value) this.byAccount.set(account, { at: this.now(), value });
    else this.byAccount.delete(account);
    return value;
  }
}
