import type { Queryable, Row } from '../db.js';
import { newId } from '../ids.js';
import { listPage, type Page } from '../list.js';
import { decimalOrNull, lockClause, type RowLock } from './columns.js';
import { required } from './contacts.js';

export const SERVICE_STATUSES = ['active', 'archived'] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];
export const RECURRING_INTERVALS = ['day', 'week', 'month', 'year'] as const;
export type RecurringInterval = (typeof RECURRING_INTERVALS)[number];

/** A list price in another currency than the service's main one, in that currency's minor units. */
export interface ServicePrice {
  readonly currency: string;
  readonly unitPrice: number;
}

/** A catalog entry: what the tenant sells and at what list price. Never deleted, only archived. */
export interface Service {
  readonly id: string;
  readonly tenantId: string;
  readonly code: string;
  readonly name: string;
  readonly description: string | null;
  readonly unitPrice: number;
  readonly currency: string;
  /** Prices in other currencies (sorted by currency, never `currency` itself): Stripe `currency_options`. */
  readonly prices: readonly ServicePrice[];
  readonly taxRate: string | null;
  readonly taxInclusive: boolean;
  readonly status: ServiceStatus;
  readonly recurringInterval: RecurringInterval | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type ServiceInput = Pick<
  Service,
  | 'code'
  | 'name'
  | 'description'
  | 'unitPrice'
  | 'currency'
  | 'prices'
  | 'taxRate'
  | 'taxInclusive'
  | 'recurringInterval'
>;

export function serviceFromRow(row: Row): Service {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    code: String(row.code),
    name: String(row.name),
    description: (row.description as string | null) ?? null,
    unitPrice: Number(row.unit_price),
    currency: String(row.currency),
    prices: pricesFromColumn(row.prices),
    taxRate: decimalOrNull(row.tax_rate),
    taxInclusive: Boolean(row.tax_inclusive),
    status: row.status as ServiceStatus,
    recurringInterval: (row.recurring_interval as RecurringInterval | null) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

function pricesFromColumn(value: unknown): ServicePrice[] {
  const stored = (typeof value === 'string' ? JSON.parse(value) : (value ?? [])) as {
    currency: string;
    unit_price: number;
  }[];
  return stored.map((price) => ({ currency: price.currency, unitPrice: Number(price.unit_price) }));
}

/** The jsonb the `prices` column holds: snake_case like the API, sorted so equal lists compare equal. */
function pricesColumn(prices: readonly ServicePrice[]): string {
  const sorted = [...prices].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
  return JSON.stringify(sorted.map((price) => ({ currency: price.currency, unit_price: price.unitPrice })));
}

/** The service's list price in `currency` (its main one or one of `prices`); undefined when it has none. */
export function servicePriceIn(service: Service, currency: string): number | undefined {
  if (currency === service.currency) return service.unitPrice;
  return service.prices.find((price) => price.currency === currency)?.unitPrice;
}

/** Inserts a service, or returns undefined when the tenant already has one with this code. */
export async function insertService(
  db: Queryable,
  tenantId: string,
  input: ServiceInput,
): Promise<Service | undefined> {
  const [row] = await db.query(
    `INSERT INTO services (tenant_id, id, code, name, description, unit_price, currency, tax_rate,
       tax_inclusive, recurring_interval, prices)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)
     ON CONFLICT (tenant_id, code) DO NOTHING RETURNING *`,
    [
      tenantId,
      newId('svc'),
      input.code,
      input.name,
      input.description,
      input.unitPrice,
      input.currency,
      input.taxRate,
      input.taxInclusive,
      input.recurringInterval,
      pricesColumn(input.prices),
    ],
  );
  return row ? serviceFromRow(row) : undefined;
}

export async function getService(
  db: Queryable,
  tenantId: string,
  id: string,
  lock?: RowLock,
): Promise<Service | undefined> {
  const [row] = await db.query(`SELECT * FROM services WHERE tenant_id = $1 AND id = $2${lockClause(lock)}`, [
    tenantId,
    id,
  ]);
  return row ? serviceFromRow(row) : undefined;
}

export async function serviceCodeTaken(
  db: Queryable,
  tenantId: string,
  code: string,
  exceptId: string,
): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM services WHERE tenant_id = $1 AND code = $2 AND id <> $3', [
    tenantId,
    code,
    exceptId,
  ]);
  return rows.length > 0;
}

/** Writes every mutable field of `service` (read FOR UPDATE and merged by the caller). */
export async function updateService(db: Queryable, service: Service): Promise<Service> {
  const [row] = await db.query(
    `UPDATE services SET code = $3, name = $4, description = $5, unit_price = $6, currency = $7,
       tax_rate = $8, tax_inclusive = $9, status = $10, recurring_interval = $11, prices = $12::jsonb,
       updated_at = now()
     WHERE tenant_id = $1 AND id = $2 RETURNING *`,
    [
      service.tenantId,
      service.id,
      service.code,
      service.name,
      service.description,
      service.unitPrice,
      service.currency,
      service.taxRate,
      service.taxInclusive,
      service.status,
      service.recurringInterval,
      pricesColumn(service.prices),
    ],
  );
  return serviceFromRow(required(row));
}

export function listServices(
  db: Queryable,
  tenantId: string,
  filter: {
    status?: ServiceStatus | undefined;
    currency?: string | undefined;
    createdFrom?: string | undefined;
    createdTo?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<Page<Service>> {
  return listPage(
    db,
    {
      table: 'services',
      tenantId,
      equals: { status: filter.status, currency: filter.currency },
      createdFrom: filter.createdFrom,
      createdTo: filter.createdTo,
      cursor: filter.cursor,
      limit: filter.limit,
    },
    serviceFromRow,
  );
}
