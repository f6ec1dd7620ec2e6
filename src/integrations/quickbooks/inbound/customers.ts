import type { Queryable } from '../../../store/db.js';
import { findLinkByExternal, upsertLink } from '../../../store/repositories/external-links.js';
import {
  type Address,
  type ContactInput,
  getContact,
  insertContact,
  updateContact,
} from '../../../store/repositories/contacts.js';
import type { QboObject } from '../types.js';
import {
  type Commit,
  ignored,
  lockImport,
  type PullContext,
  type PullOutcome,
  processed,
} from './context.js';
import { taggedLocalId } from './tags.js';

/**
 * Customers. A customer made inactive in QuickBooks ("deleted" in its screens) or deleted (merged)
 * archives our contact — never deletes it. With settings.contacts_import on, customers created or
 * changed in QuickBooks become or update contacts, matched to an existing contact first by the link,
 * then by the push's tag, then by email, then by name where no email contradicts it, so one customer
 * never backs two contacts.
 */
export async function pullCustomer(
  ctx: PullContext,
  customerId: string,
  customer: QboObject | undefined,
  commit: Commit,
): Promise<PullOutcome> {
  return commit(async (tx) => {
    await lockImport(tx, ctx.tenantId, 'Customer', customerId);
    const link = await findLinkByExternal(tx, linkRef(ctx, customerId));
    const gone = customer === undefined || customer.Active === false;
    if (gone) {
      if (!link) return ignored(`QuickBooks customer ${customerId} is not a ledgerbridge contact`);
      const contact = await getContact(tx, ctx.tenantId, link.localId);
      if (!contact || contact.archived) return ignored('the contact is already archived');
      await updateContact(tx, ctx.tenantId, contact.id, { archived: true });
      return {
        status: 'processed',
        note: `contact ${contact.id} archived: the customer is inactive in QuickBooks`,
      };
    }
    if (!ctx.session.settings.contacts_import) {
      return ignored('contacts_import is off: QuickBooks customers are not imported');
    }
    if (link) {
      const contact = await getContact(tx, ctx.tenantId, link.localId);
      if (!contact) return ignored(`the linked contact ${link.localId} no longer exists`);
      const input = contactInput(customer);
      const patch = {
        ...(input.name !== contact.name && { name: input.name }),
        ...(input.email !== null && input.email !== contact.email && { email: input.email }),
        ...(input.phone !== null && input.phone !== contact.phone && { phone: input.phone }),
        ...(contact.archived && { archived: false }),
      };
      if (Object.keys(patch).length === 0) return ignored('the contact already matches the customer');
      await updateContact(tx, ctx.tenantId, contact.id, patch);
      return processed;
    }
    await contactForCustomer(tx, ctx, customerId, customer);
    return processed;
  });
}

/**
 * The contact behind a QuickBooks customer, linked or matched, else imported (and linked) from
 * `customer`. Runs in the caller's transaction; the link's unique key makes a concurrent import fail
 * and retry rather than create a second contact.
 */
export async function contactForCustomer(
  tx: Queryable,
  ctx: PullContext,
  customerId: string,
  customer: QboObject | undefined,
): Promise<string | undefined> {
  await lockImport(tx, ctx.tenantId, 'Customer', customerId);
  const link = await findLinkByExternal(tx, linkRef(ctx, customerId));
  if (link) return link.localId;
  if (!customer) return undefined;
  const input = contactInput(customer);
  const tagged = taggedLocalId(customer, 'con');
  const matched =
    (tagged && (await getContact(tx, ctx.tenantId, tagged)) ? tagged : undefined) ??
    (await unlinkedContact(tx, ctx, 'lower(c.email) = lower($2)', input.email)) ??
    // A name alone matches only where no email contradicts it: two "Globex" with different
    // addresses are different businesses.
    (await unlinkedContact(
      tx,
      ctx,
      input.email === null ? 'c.name = $2' : `c.name = $2 AND (c.email IS NULL OR c.email = '')`,
      input.name,
    ));
  const contactId = matched ?? (await insertContact(tx, ctx.tenantId, input)).id;
  await upsertLink(tx, {
    ...linkRef(ctx, customerId),
    localId: contactId,
    externalAccount: ctx.session.client.realmId,
    data: { imported: matched === undefined, matched_by: matched === undefined ? null : 'pull' },
  });
  return contactId;
}

function linkRef(ctx: PullContext, customerId: string) {
  return {
    tenantId: ctx.tenantId,
    provider: 'quickbooks' as const,
    localType: 'contact' as const,
    externalId: customerId,
  };
}

/** A live contact matching `where` that no QuickBooks customer backs yet (oldest first). */
async function unlinkedContact(
  tx: Queryable,
  ctx: PullContext,
  where: string,
  value: string | null,
): Promise<string | undefined> {
  if (value === null || value === '') return undefined;
  const [row] = await tx.query<{ id: string }>(
    `SELECT c.id FROM contacts c
     WHERE c.tenant_id = $1 AND c.archived = false AND ${where}
       AND NOT EXISTS (SELECT 1 FROM external_links l WHERE l.tenant_id = c.tenant_id AND l.provider = 'quickbooks'
                         AND l.local_type = 'contact' AND l.local_id = c.id)
     ORDER BY c.id LIMIT 1`,
    [ctx.tenantId, value],
  );
  return row?.id;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

export function contactInput(customer: QboObject): ContactInput {
  const email = text((customer.PrimaryEmailAddr as { Address?: unknown } | undefined)?.Address);
  const phone = text((customer.PrimaryPhone as { FreeFormNumber?: unknown } | undefined)?.FreeFormNumber);
  const company = text(customer.CompanyName);
  const currency = (customer.CurrencyRef as { value?: unknown } | undefined)?.value;
  return {
    kind: company ? 'organization' : 'individual',
    name: text(customer.DisplayName) ?? company ?? `QuickBooks customer ${customer.Id ?? ''}`.trim(),
    email,
    phone,
    billingAddress: address(customer.BillAddr),
    preferredCurrency: typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : null,
  };
}

function address(value: unknown): Address | null {
  if (!value || typeof value !== 'object') return null;
  const bill = value as Record<string, unknown>;
  const line1 = text(bill.Line1);
  const city = text(bill.City);
  const postal = text(bill.PostalCode);
  const country = text(bill.Country);
  if (!line1 || !city || !postal || !country) return null;
  const line2 = text(bill.Line2);
  const region = text(bill.CountrySubDivisionCode);
  return {
    line1,
    city,
    postal_code: postal,
    country,
    ...(line2 && { line2 }),
    ...(region && { region }),
  };
}
