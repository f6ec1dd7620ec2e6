import type { QboObject } from '../types.js';
import { committer, type PullContext, qbo } from './context.js';
import { pullObject } from './pull.js';

/**
 * What exists in QuickBooks before the connection: with settings.contacts_import, every active
 * customer becomes (or is matched to) a contact; with invoices_pull and invoice_scope 'backfill',
 * every invoice is imported (or matched) too. Runs once per connection, as the first CDC sweep
 * (cdc.ts), through the same pullObject as everything else, so running it again changes nothing.
 */
const PAGE = 1000;

export async function importExisting(ctx: PullContext): Promise<Record<string, number>> {
  const { settings } = ctx.session;
  const counts: Record<string, number> = {};
  if (settings.contacts_import) {
    counts.existing_customers = await importAll(ctx, 'Customer', 'WHERE Active = true');
  }
  if (settings.invoices_pull && settings.invoice_scope === 'backfill') {
    counts.existing_invoices = await importAll(ctx, 'Invoice', '');
  }
  return counts;
}

async function importAll(ctx: PullContext, entity: 'Customer' | 'Invoice', where: string): Promise<number> {
  let count = 0;
  for (let start = 1; ; start += PAGE) {
    const rows: QboObject[] = await qbo(`list QuickBooks ${entity} objects`, () =>
      ctx.session.client.query(
        [`SELECT * FROM ${entity}`, where, `ORDERBY Id STARTPOSITION ${start} MAXRESULTS ${PAGE}`]
          .filter((part) => part !== '')
          .join(' '),
      ),
    );
    for (const row of rows) {
      if (typeof row.Id !== 'string') continue;
      await pullObject(ctx, entity, row.Id, committer(ctx.db), row);
      count += 1;
    }
    if (rows.length < PAGE) return count;
  }
}
