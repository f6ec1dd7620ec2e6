import { applyBalances } from './balances.js';

/** An entity as stored and returned: the JSON QuickBooks sends, with its system fields. */
export type QboObject = Record<string, unknown> & {
  Id: string;
  SyncToken: string;
  MetaData: { CreateTime: string; LastUpdatedTime: string };
};

/** How long a deleted object is remembered: as far back as CDC can be asked. */
export const TOMBSTONE_RETENTION_MS = 30 * 86_400_000;

/** A deleted transaction, kept so CDC can report it (`status: "Deleted"`). */
export interface Tombstone {
  readonly entity: string;
  readonly id: string;
  readonly deletedAtMs: number;
  readonly lastUpdated: string;
}

/** One company as plain JSON (see `Company.toSnapshot`); the lookup indexes are rebuilt, not kept. */
export interface CompanySnapshot {
  readonly realmId: string;
  readonly createdAtMs: number;
  readonly lastId: number;
  readonly docNumbers: Record<string, number>;
  /** Entity → its objects, in the order the table holds them. */
  readonly tables: Record<string, QboObject[]>;
  readonly tombstones: Tombstone[];
  readonly depositedBy: Record<string, string>;
  readonly taxOverrides: string[];
  readonly exchangeRates: Record<string, number>;
  readonly changedAtMs: Record<string, number>;
}

/**
 * One QuickBooks company (realm): its objects by entity and Id, the deleted ones, which payments
 * sit on which deposit, and the counters QuickBooks keeps (Ids, document numbers).
 */
export class Company {
  private readonly tables = new Map<string, Map<string, QboObject>>();
  readonly tombstones: Tombstone[] = [];
  /** `Payment:12` / `SalesReceipt:7` → the Id of the Deposit that holds it. */
  readonly depositedBy = new Map<string, string>();
  /** `Invoice:5` for sales forms whose TotalTax the client set; a sparse update keeps it. */
  readonly taxOverrides = new Set<string>();
  /** Home-currency units per unit of a foreign currency, used when a request gives no ExchangeRate. */
  readonly exchangeRates = new Map<string, number>([
    ['EUR', 1.08],
    ['GBP', 1.27],
    ['CAD', 0.73],
    ['AUD', 0.66],
    ['CHF', 1.13],
    ['JPY', 0.0067],
    ['MXN', 0.055],
  ]);
  /** `Invoice:5` → when it last changed, to the millisecond (MetaData keeps whole seconds); CDC reads it. */
  readonly changedAtMs = new Map<string, number>();
  /** `Invoice.DocNumber` → normalized value → Ids, so uniqueness checks stay cheap in big companies. */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private lastId = 0;
  private readonly docNumbers = new Map<string, number>();
  readonly createdAtMs: number;

  constructor(
    readonly realmId: string,
    private readonly now: () => number,
    createdAtMs?: number,
  ) {
    this.createdAtMs = createdAtMs ?? now();
  }

  /** Everything the company holds, sharing references with it: clone or serialize before it changes. */
  toSnapshot(): CompanySnapshot {
    return {
      realmId: this.realmId,
      createdAtMs: this.createdAtMs,
      lastId: this.lastId,
      docNumbers: Object.fromEntries(this.docNumbers),
      tables: Object.fromEntries([...this.tables].map(([entity, table]) => [entity, [...table.values()]])),
      tombstones: [...this.tombstones],
      depositedBy: Object.fromEntries(this.depositedBy),
      taxOverrides: [...this.taxOverrides],
      exchangeRates: Object.fromEntries(this.exchangeRates),
      changedAtMs: Object.fromEntries(this.changedAtMs),
    };
  }

  /**
   * The company a snapshot describes. Objects are stored as they are, without `put`: their balances
   * already include every transaction, and applying them again would count twice.
   */
  static fromSnapshot(snapshot: CompanySnapshot, now: () => number): Company {
    const company = new Company(snapshot.realmId, now, snapshot.createdAtMs);
    company.lastId = snapshot.lastId;
    for (const [entity, next] of Object.entries(snapshot.docNumbers)) company.docNumbers.set(entity, next);
    for (const [entity, objects] of Object.entries(snapshot.tables)) {
      const table = company.table(entity);
      for (const object of objects) {
        company.reindex(entity, undefined, object);
        table.set(object.Id, object);
      }
    }
    company.tombstones.push(...snapshot.tombstones);
    for (const [key, id] of Object.entries(snapshot.depositedBy)) company.depositedBy.set(key, id);
    for (const key of snapshot.taxOverrides) company.taxOverrides.add(key);
    company.exchangeRates.clear();
    for (const [code, rate] of Object.entries(snapshot.exchangeRates)) company.exchangeRates.set(code, rate);
    for (const [key, at] of Object.entries(snapshot.changedAtMs)) company.changedAtMs.set(key, at);
    return company;
  }

  nextId(): string {
    this.lastId += 1;
    return String(this.lastId);
  }

  /** QuickBooks numbers sales forms 1001, 1002, … when the request sends no DocNumber. */
  nextDocNumber(entity: string): string {
    let next = this.docNumbers.get(entity) ?? 1001;
    while (this.findBy(entity, 'DocNumber', String(next)).length > 0) next += 1;
    this.docNumbers.set(entity, next + 1);
    return String(next);
  }

  table(entity: string): Map<string, QboObject> {
    let table = this.tables.get(entity);
    if (!table) {
      table = new Map();
      this.tables.set(entity, table);
    }
    return table;
  }

  get(entity: string, id: string): QboObject | undefined {
    return this.tables.get(entity)?.get(id);
  }

  all(entity: string): QboObject[] {
    return [...(this.tables.get(entity)?.values() ?? [])];
  }

  /** Objects whose indexed `field` equals `value`, compared trimmed and case-insensitively. */
  findBy(entity: string, field: string, value: string): QboObject[] {
    const ids = this.indexes.get(`${entity}.${field}`)?.get(normalize(value)) ?? new Set<string>();
    return [...ids]
      .map((id) => this.get(entity, id))
      .filter((object): object is QboObject => Boolean(object));
  }

  /** Stores an object and keeps customer and account balances in step with it. */
  put(entity: string, object: QboObject): void {
    const previous = this.get(entity, object.Id);
    applyBalances(this, entity, previous, -1);
    this.reindex(entity, previous, object);
    this.table(entity).set(object.Id, object);
    this.changedAtMs.set(`${entity}:${object.Id}`, this.now());
    applyBalances(this, entity, object, 1);
  }

  remove(entity: string, id: string, deletedAtMs: number, lastUpdated: string): void {
    const previous = this.get(entity, id);
    if (!previous) return;
    applyBalances(this, entity, previous, -1);
    this.reindex(entity, previous, undefined);
    this.table(entity).delete(id);
    this.changedAtMs.delete(`${entity}:${id}`);
    this.tombstones.push({ entity, id, deletedAtMs, lastUpdated });
    // CDC reaches back 30 days (api/cdc.ts): older tombstones can never be reported again, and a
    // long-lived company (a sandbox saved across restarts) would otherwise only grow.
    const oldest = deletedAtMs - TOMBSTONE_RETENTION_MS;
    const expired = this.tombstones.findIndex((tombstone) => tombstone.deletedAtMs >= oldest);
    if (expired > 0) this.tombstones.splice(0, expired);
  }

  get preferences(): QboObject {
    return this.singleton('Preferences');
  }

  get companyInfo(): QboObject {
    return this.singleton('CompanyInfo');
  }

  get companyName(): string {
    return String(this.companyInfo.CompanyName ?? '');
  }

  get homeCurrency(): string {
    const prefs = this.preferences.CurrencyPrefs as { HomeCurrency?: { value?: string } } | undefined;
    return prefs?.HomeCurrency?.value ?? 'USD';
  }

  get multiCurrencyEnabled(): boolean {
    const prefs = this.preferences.CurrencyPrefs as { MultiCurrencyEnabled?: boolean } | undefined;
    return prefs?.MultiCurrencyEnabled === true;
  }

  /** The account QuickBooks deposits payments to by default. */
  undepositedFunds(): QboObject {
    const found = this.all('Account').find((account) => account.AccountSubType === 'UndepositedFunds');
    if (!found) throw new Error(`company ${this.realmId} has no Undeposited Funds account`);
    return found;
  }

  private singleton(entity: string): QboObject {
    const found = this.all(entity)[0];
    if (!found) throw new Error(`company ${this.realmId} has no ${entity}`);
    return found;
  }

  private reindex(entity: string, previous: QboObject | undefined, next: QboObject | undefined): void {
    for (const field of INDEXED_FIELDS) {
      const key = `${entity}.${field}`;
      let index = this.indexes.get(key);
      if (!index) {
        index = new Map();
        this.indexes.set(key, index);
      }
      const before = previous?.[field];
      if (typeof before === 'string') index.get(normalize(before))?.delete(previous?.Id ?? '');
      const after = next?.[field];
      if (typeof after === 'string' && next) {
        const ids = index.get(normalize(after)) ?? new Set<string>();
        ids.add(next.Id);
        index.set(normalize(after), ids);
      }
    }
  }
}

const INDEXED_FIELDS = ['DocNumber', 'DisplayName', 'Name'] as const;

function normalize(value: string): string {
  return value.trim().toLowerCase();
}
