import { Dec } from '../../../domain/decimal.js';
import { call, keyFor, ourMetadata, type SyncContext } from './context.js';
import { findTaxRateId, recordTaxRate } from './store.js';

/**
 * One Stripe tax rate per (percentage, inclusive) and account, created the first time a line needs
 * it and reused ever after, so Stripe computes each line's tax itself from the same rate we used.
 */
export async function ensureTaxRate(
  ctx: SyncContext,
  percentage: string,
  inclusive: boolean,
): Promise<string> {
  const canonical = new Dec(percentage).toFixed();
  const known = await findTaxRateId(ctx.db, ctx.tenantId, ctx.account, canonical, inclusive);
  if (known) return known;
  const { stripe } = ctx.access;
  const kind = inclusive ? 'inclusive' : 'exclusive';
  let id: string | undefined;
  if (ctx.retrying) {
    // Created by a previous attempt that failed before recording it?
    const rates = await call(ctx, 'look up Stripe tax rates', undefined, (o) =>
      stripe.taxRates.list({ inclusive, limit: 100 }, o).autoPagingToArray({ limit: 10_000 }),
    );
    id = rates.find(
      (rate) =>
        rate.metadata?.ledgerbridge_tenant_id === ctx.tenantId && new Dec(rate.percentage).equals(canonical),
    )?.id;
  }
  id ??= (
    await call(
      ctx,
      `create the ${canonical}% ${kind} tax rate`,
      keyFor(ctx, 'tax-rate', canonical, kind),
      (o) =>
        stripe.taxRates.create(
          {
            display_name: 'Tax',
            description: `${canonical}% ${kind} (ledgerbridge)`,
            percentage: Number(canonical),
            inclusive,
            metadata: ourMetadata(ctx, { ledgerbridge_tax_rate: `${canonical}:${kind}` }),
          },
          o,
        ),
    )
  ).id;
  await recordTaxRate(ctx.db, ctx.tenantId, ctx.account, canonical, inclusive, id);
  return id;
}
