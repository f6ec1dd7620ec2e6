import type { Queryable } from '../../../store/db.js';
import type { Connection } from '../../../store/repositories/integration-connections.js';
import type { QboClient } from '../types.js';

/** The company a connection reaches, as QuickBooks names it (CompanyInfo). */
export interface QboCompany {
  readonly realmId: string;
  readonly companyName: string;
  readonly country: string | null;
  readonly fetchedAt: Date;
}

/**
 * Reads CompanyInfo: the cheapest call that proves the token works. By query rather than by Id: the
 * documented read path uses the realmId as Id, yet the object itself often carries Id "1".
 */
export async function fetchCompany(client: QboClient): Promise<Omit<QboCompany, 'fetchedAt'>> {
  const [info] = await client.query('SELECT * FROM CompanyInfo');
  const name = info?.CompanyName ?? info?.LegalName;
  return {
    realmId: client.realmId,
    companyName: typeof name === 'string' && name !== '' ? name : `QuickBooks company ${client.realmId}`,
    country: typeof info?.Country === 'string' ? info.Country : null,
  };
}

export async function saveCompany(
  db: Queryable,
  connection: Pick<Connection, 'tenantId' | 'id'>,
  company: Omit<QboCompany, 'fetchedAt'>,
): Promise<void> {
  await db.query(
    `INSERT INTO quickbooks_companies (tenant_id, connection_id, realm_id, company_name, country)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, connection_id) DO UPDATE
       SET realm_id = EXCLUDED.realm_id, company_name = EXCLUDED.company_name, country = EXCLUDED.country,
           fetched_at = now()`,
    [connection.tenantId, connection.id, company.realmId, company.companyName, company.country],
  );
}

export async function getCompany(
  db: Queryable,
  connection: Pick<Connection, 'tenantId' | 'id'>,
): Promise<QboCompany | undefined> {
  const [row] = await db.query<{
    realm_id: string;
    company_name: string;
    country: string | null;
    fetched_at: Date;
  }>(
    `SELECT realm_id, company_name, country, fetched_at FROM quickbooks_companies
     WHERE tenant_id = $1 AND connection_id = $2`,
    [connection.tenantId, connection.id],
  );
  return row
    ? {
        realmId: row.realm_id,
        companyName: row.company_name,
        country: row.country,
        fetchedAt: row.fetched_at,
      }
    : undefined;
}
