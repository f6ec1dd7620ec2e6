import type { QboClient, QboObject } from '../types.js';

/** The account types the connection settings refer to (QuickBooks' `AccountType`). */
export type QboAccountType = 'Bank' | 'Income' | 'Expense';

/** Enough rows for any real chart of accounts; QuickBooks pages at most 1000 per query. */
const PAGE = 1000;

/** Active accounts of one type, by name: what the settings UI offers for deposits, fees and items. */
export function listAccounts(client: QboClient, type: QboAccountType): Promise<QboObject[]> {
  return client.query(
    `SELECT * FROM Account WHERE AccountType = '${type}' AND Active = true ORDERBY Name MAXRESULTS ${PAGE}`,
  );
}

export function listBankAccounts(client: QboClient): Promise<QboObject[]> {
  return listAccounts(client, 'Bank');
}

/** Active sales tax codes (empty for companies on automated sales tax without custom codes). */
export function listTaxCodes(client: QboClient): Promise<QboObject[]> {
  return client.query(`SELECT * FROM TaxCode WHERE Active = true MAXRESULTS ${PAGE}`);
}
