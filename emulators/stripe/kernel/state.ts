import { EmulatorClock } from './clock.js';
import { resourceMissing } from './errors.js';
import { IdempotencyStore } from './idempotency.js';
import { stripeId } from './ids.js';

/** Every Stripe API object has these; the rest of its shape comes from the `stripe` package's types. */
export interface StripeObject {
  id: string;
  object: string;
  [field: string]: unknown;
}

export type KeyKind = 'secret' | 'restricted' | 'oauth_access';

export interface ApiKey {
  readonly key: string;
  readonly accountId: string;
  readonly kind: KeyKind;
}

/** One Stripe account's data: the platform, or a connected account with its own everything. */
export class AccountState {
  readonly objects = new Map<string, StripeObject>();
  /** Event ids, oldest first. */
  readonly eventIds: string[] = [];
  /** Connected accounts only: the platform they authorized (OAuth) and whether it still holds access. */
  connectedTo: string | undefined;
  constructor(
    readonly id: string,
    readonly created: number,
    readonly displayName: string,
  ) {}

  insert<T extends StripeObject>(object: T): T {
    this.objects.set(object.id, object);
    return object;
  }

  find<T extends StripeObject>(type: string, id: string): T | undefined {
    const found = this.objects.get(id);
    return found && found.object === type ? (found as T) : undefined;
  }

  /** The object, or Stripe's 404 `resource_missing` naming it. */
  get<T extends StripeObject>(type: string, id: string, param = 'id'): T {
    const found = this.find<T>(type, id);
    if (!found) throw resourceMissing(type.replaceAll('_', ' '), id, param);
    return found;
  }

  all<T extends StripeObject>(type: string): T[] {
    const out: T[] = [];
    for (const object of this.objects.values()) if (object.object === type) out.push(object as T);
    return out;
  }

  delete(id: string): void {
    this.objects.delete(id);
  }
}

/**
 * The whole emulated Stripe: accounts and the API keys that reach them. In memory; an emulator
 * starts empty except for the platform account and its keys, or from a snapshot (snapshot.ts).
 */
export class EmulatorState {
  readonly clock = new EmulatorClock();
  readonly accounts = new Map<string, AccountState>();
  readonly keys = new Map<string, ApiKey>();
  /** Idempotency-Key records of every account; here rather than in the router so snapshots reach them. */
  readonly idempotency = new IdempotencyStore();
  readonly platform: AccountState;
  /** Called for every event created in any account (webhook delivery subscribes here). */
  readonly eventListeners: ((account: AccountState, event: StripeObject) => void)[] = [];

  /** `platform` is a restored platform account; without it a fresh one is created. */
  constructor(options: { secretKey: string; accountName?: string; platform?: AccountState }) {
    if (options.platform) {
      this.platform = options.platform;
      this.accounts.set(options.platform.id, options.platform);
    } else {
      this.platform = this.createAccount(options.accountName ?? 'ledgerbridge sandbox platform');
    }
    this.addKey({ key: options.secretKey, accountId: this.platform.id, kind: 'secret' });
  }

  createAccount(displayName: string): AccountState {
    const account = new AccountState(stripeId('acct', 16), this.clock.now(), displayName);
    this.accounts.set(account.id, account);
    return account;
  }

  addKey(key: ApiKey): void {
    this.keys.set(key.key, key);
  }

  account(id: string): AccountState | undefined {
    return this.accounts.get(id);
  }
}
