import { randomInt } from 'node:crypto';
import { ChangeFeed, type ChangeOperation } from './changes.js';
import { EmulatorClock, qboTimestamp } from './clock.js';
import { Company, type CompanySnapshot, type QboObject } from './company.js';
import { seedCompany } from './seed.js';

/**
 * The whole emulated QuickBooks: its companies (realms), one clock, and the change feed every
 * committed write is published on (webhooks and tests listen there). In memory only.
 */
export class QboState {
  readonly companies = new Map<string, Company>();

  constructor(
    readonly clock: EmulatorClock = new EmulatorClock(),
    readonly feed: ChangeFeed = new ChangeFeed(),
  ) {}

  createCompany(companyName?: string): Company {
    let realmId = sandboxRealmId();
    while (this.companies.has(realmId)) realmId = sandboxRealmId();
    const company = new Company(realmId, () => this.clock.now());
    seedCompany(company, companyName ?? `Sandbox Company US ${this.companies.size + 1}`, this.clock.now());
    this.companies.set(realmId, company);
    return company;
  }

  /** Adds the companies a snapshot holds, realmIds and all (see `Company.fromSnapshot`). */
  restoreCompanies(snapshots: readonly CompanySnapshot[]): Company[] {
    return snapshots.map((snapshot) => {
      if (this.companies.has(snapshot.realmId)) throw new Error(`company ${snapshot.realmId} exists already`);
      const company = Company.fromSnapshot(snapshot, () => this.clock.now());
      this.companies.set(snapshot.realmId, company);
      return company;
    });
  }

  /** Every company back to a fresh sandbox, keeping its realmId and name (tokens stay valid). */
  reset(): void {
    for (const [realmId, old] of this.companies) {
      const company = new Company(realmId, () => this.clock.now());
      seedCompany(company, old.companyName, this.clock.now());
      this.companies.set(realmId, company);
    }
  }

  company(realmId: string): Company | undefined {
    return this.companies.get(realmId);
  }

  list(): { realmId: string; companyName: string }[] {
    return [...this.companies.values()].map((company) => ({
      realmId: company.realmId,
      companyName: company.companyName,
    }));
  }

  publish(
    company: Company,
    entity: string,
    object: Pick<QboObject, 'Id' | 'MetaData'>,
    operation: ChangeOperation,
  ): void {
    this.feed.publish({
      realmId: company.realmId,
      entity,
      id: object.Id,
      operation,
      lastUpdated: object.MetaData.LastUpdatedTime,
    });
  }

  timestamp(): string {
    return qboTimestamp(this.clock.now(), true);
  }
}

/** Sandbox realm ids look like `9341452856398221`: 16 digits starting 9341. */
function sandboxRealmId(): string {
  return `9341${String(randomInt(0, 1_000_000)).padStart(6, '0')}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
}
