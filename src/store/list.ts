import type { Queryable, Row } from './db.js';

/**
 * One way to list any tenant's table: tenant filter first (always), then equality and date filters,
 * then a keyset cursor on the time-sortable id, newest first. Table and column names come from our
 * own code, never from the request; values always travel as parameters.
 */
export interface ListSpec {
  readonly table: string;
  readonly tenantId: string;
  readonly equals?: Readonly<Record<string, string | boolean | undefined>>;
  readonly createdFrom?: string | undefined;
  readonly createdTo?: string | undefined;
  readonly dateColumn?: {
    readonly column: string;
    readonly from?: string | undefined;
    readonly to?: string | undefined;
  };
  readonly cursor?: string | undefined;
  readonly limit: number;
}

export interface Page<T> {
  readonly data: T[];
  readonly nextCursor: string | null;
}

export async function listPage<T>(db: Queryable, spec: ListSpec, map: (row: Row) => T): Promise<Page<T>> {
  const params: unknown[] = [spec.tenantId];
  const where = ['tenant_id = $1'];
  const add = (clause: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  for (const [column, value] of Object.entries(spec.equals ?? {})) {
    if (value !== undefined) add((p) => `${column} = ${p}`, value);
  }
  if (spec.createdFrom) add((p) => `created_at >= ${p}`, spec.createdFrom);
  if (spec.createdTo) add((p) => `created_at < ${p}`, spec.createdTo);
  if (spec.dateColumn?.from) add((p) => `${spec.dateColumn?.column} >= ${p}`, spec.dateColumn.from);
  if (spec.dateColumn?.to) add((p) => `${spec.dateColumn?.column} <= ${p}`, spec.dateColumn.to);
  if (spec.cursor) add((p) => `id < ${p}`, spec.cursor);
  params.push(spec.limit + 1);
  const rows = await db.query(
    `SELECT * FROM ${spec.table} WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  const hasMore = rows.length > spec.limit;
  const pageRows = hasMore ? rows.slice(0, spec.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { data: pageRows.map(map), nextCursor: hasMore && last ? String(last.id) : null };
}
