import { PermanentJobError } from '../../../jobs/errors.js';
import { type Contact, getContact } from '../../../store/repositories/contacts.js';
import {
  type ExternalLink,
  findLinkByExternal,
  findLinkByLocal,
  upsertLink,
} from '../../../store/repositories/external-links.js';
import type { QboObject } from '../types.js';
import { hasFault, noteTag, type QboSyncContext, qbo, quote, requestIdFor } from './context.js';
import { createOnce, updateFresh } from './writes.js';

/**
 * Contacts → QuickBooks Customers: one Customer per contact, found by the stored link, else by
 * PrimaryEmailAddr (a customer no other contact holds, oldest first), else created. Name, email,
 * phone and billing address are ours and follow contact updates.
 *
 * DisplayName is unique in QuickBooks across customers, vendors and employees (6240). A clash with
 * someone else's name is resolved deterministically, never failed: "Name (email)", then
 * "Name (contact id)". A clash with a customer carrying our tag is our own earlier create whose answer
 * was lost: it is adopted.
 */
const NAME_LIMIT = 500;

/** QuickBooks reserves ':' for sub-customer paths; newlines and tabs are refused. */
function cleanName(name: string): string {
  return (
    name
      .replaceAll(':', '-')
      .replace(/[\t\r\n]+/g, ' ')
      .trim()
      .slice(0, NAME_LIMIT) || 'Customer'
  );
}

/** The DisplayNames to try, in order. */
export function displayNames(contact: Pick<Contact, 'id' | 'name' | 'email'>): string[] {
  const base = cleanName(contact.name);
  const names = [base];
  if (contact.email !== null) names.push(cleanName(`${base.slice(0, 400)} (${contact.email})`));
  names.push(cleanName(`${base.slice(0, 400)} (${contact.id})`));
  return [...new Set(names)];
}

/** A new Customer for the contact: its first DisplayName choice, our tag, its currency if foreign. */
export function newCustomerBody(contact: Contact, currency: string | undefined): QboObject {
  return {
    ...customerFields(contact),
    DisplayName: displayNames(contact)[0],
    Notes: noteTag(contact.id),
    ...(currency === undefined ? {} : { CurrencyRef: { value: currency } }),
  };
}

function customerFields(contact: Contact): QboObject {
  const address = contact.billingAddress;
  return {
    ...(contact.kind === 'organization' ? { CompanyName: cleanName(contact.name).slice(0, 100) } : {}),
    PrimaryEmailAddr: contact.email === null ? {} : { Address: contact.email },
    PrimaryPhone: contact.phone === null ? {} : { FreeFormNumber: contact.phone },
    ...(address === null
      ? {}
      : {
          BillAddr: {
            Line1: address.line1,
            ...(address.line2 === undefined ? {} : { Line2: address.line2 }),
            City: address.city,
            ...(address.region === undefined ? {} : { CountrySubDivisionCode: address.region }),
            PostalCode: address.postal_code,
            Country: address.country,
          },
        }),
  };
}

export async function loadContact(ctx: QboSyncContext, contactId: string): Promise<Contact> {
  const contact = await getContact(ctx.db, ctx.tenantId, contactId);
  if (!contact) throw new PermanentJobError(`contact ${contactId} does not exist`);
  return contact;
}

export async function contactLink(ctx: QboSyncContext, contactId: string): Promise<ExternalLink | undefined> {
  const link = await findLinkByLocal(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'contact',
    localId: contactId,
  });
  if (link && link.externalAccount !== ctx.realmId) {
    throw new PermanentJobError(
      `contact ${contactId} is linked to a customer in QuickBooks company ${link.externalAccount}, not ${ctx.realmId}`,
    );
  }
  return link;
}

const isOurs = (customer: QboObject, contactId: string) =>
  typeof customer.Notes === 'string' && customer.Notes.includes(noteTag(contactId));

/** The contact's Customer Id: linked, found by email (and linked), or created (and linked). */
export async function ensureCustomer(
  ctx: QboSyncContext,
  contactId: string,
  currency?: string,
): Promise<string> {
  const link = await contactLink(ctx, contactId);
  if (link) return link.externalId;
  const contact = await loadContact(ctx, contactId);
  const customer = (await findByEmail(ctx, contact)) ?? (await createCustomer(ctx, contact, currency));
  return linkCustomer(ctx, contact, customer);
}

/** Records that the contact is this Customer; answers its Id. */
export async function linkCustomer(
  ctx: QboSyncContext,
  contact: Contact,
  customer: QboObject,
): Promise<string> {
  if (customer.Id === undefined) throw new PermanentJobError('QuickBooks returned a customer without an Id');
  await upsertLink(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'contact',
    localId: contact.id,
    externalId: customer.Id,
    externalAccount: ctx.realmId,
    data: {
      version: contact.updatedAt.getTime(),
      display_name: customer.DisplayName,
      sync_token: customer.SyncToken,
    },
  });
  return customer.Id;
}

/** The query that finds a contact's customers by email. */
export function byEmailQuery(email: string): string {
  return `SELECT * FROM Customer WHERE PrimaryEmailAddr = ${quote(email)}`;
}

async function findByEmail(ctx: QboSyncContext, contact: Contact): Promise<QboObject | undefined> {
  if (contact.email === null) return undefined;
  const email = contact.email;
  const candidates = await qbo(`look up QuickBooks customers with email ${email}`, () =>
    ctx.client.query(byEmailQuery(email)),
  );
  return pickCustomer(ctx, contact, candidates);
}

/**
 * Of the customers with the contact's email: the one carrying our tag, else the oldest active one
 * no contact holds (`taken`: Ids already chosen in this run).
 */
export async function pickCustomer(
  ctx: QboSyncContext,
  contact: Contact,
  candidates: readonly QboObject[],
  taken: ReadonlySet<string> = new Set(),
): Promise<QboObject | undefined> {
  const ours = candidates.find((candidate) => isOurs(candidate, contact.id));
  if (ours) return ours;
  const sorted = candidates
    .filter(
      (candidate) => candidate.Active !== false && candidate.Id !== undefined && !taken.has(candidate.Id),
    )
    .sort((a, b) => Number(a.Id) - Number(b.Id));
  for (const candidate of sorted) {
    const holder = await findLinkByExternal(ctx.db, {
      tenantId: ctx.tenantId,
      provider: 'quickbooks',
      localType: 'contact',
      externalId: candidate.Id ?? '',
    });
    // Unheld: someone else's customer with this email becomes this contact's. Held by this very
    // contact: the pull's import matched them while this push was looking (a race, not a conflict).
    if (!holder || holder.localId === contact.id) return candidate;
  }
  return undefined;
}

async function createCustomer(
  ctx: QboSyncContext,
  contact: Contact,
  currency: string | undefined,
): Promise<QboObject> {
  const fields = customerFields(contact);
  for (const name of displayNames(contact)) {
    try {
      const { object } = await createOnce(
        ctx,
        `create the QuickBooks customer of contact ${contact.name}`,
        'Customer',
        {
          ...fields,
          DisplayName: name,
          Notes: noteTag(contact.id),
          ...(currency === undefined ? {} : { CurrencyRef: { value: currency } }),
        },
        requestIdFor(ctx, 'customer', contact.id, name),
        () => byDisplayName(ctx, name, contact.id),
      );
      return object;
    } catch (error) {
      if (!isDuplicateName(error)) throw error;
      const ours = await byDisplayName(ctx, name, contact.id);
      if (ours) return ours;
    }
  }
  throw new PermanentJobError(
    `QuickBooks refused every name tried for contact ${contact.name} as a duplicate`,
  );
}

const isDuplicateName = (error: unknown) => hasFault(error, '6240');

/** Our customer of that name (made by an attempt whose answer was lost), if there is one. */
async function byDisplayName(ctx: QboSyncContext, name: string, contactId: string) {
  const found = await qbo(`look up the QuickBooks customer ${name}`, () =>
    ctx.client.query(`SELECT * FROM Customer WHERE DisplayName = ${quote(name)}`),
  );
  return found.find((customer) => isOurs(customer, contactId));
}

/** A linked contact changed: its Customer gets the new details (5010 → re-read and retry). */
export async function syncContact(ctx: QboSyncContext, contactId: string): Promise<{ updated: boolean }> {
  const link = await contactLink(ctx, contactId);
  if (!link) return { updated: false };
  const contact = await loadContact(ctx, contactId);
  const version = contact.updatedAt.getTime();
  if (link.data.version === version) return { updated: false };
  const known = typeof link.data.sync_token === 'string' ? link.data.sync_token : undefined;
  let updated: QboObject | undefined;
  for (const name of displayNames(contact)) {
    try {
      updated = await updateFresh(
        ctx,
        `update the QuickBooks customer of ${contact.name}`,
        'Customer',
        link.externalId,
        known,
        () => ({
          ...customerFields(contact),
          DisplayName: name,
        }),
      );
      break;
    } catch (error) {
      if (!isDuplicateName(error)) throw error;
    }
  }
  if (!updated)
    throw new PermanentJobError(`QuickBooks refused every name tried for contact ${contact.name}`);
  await upsertLink(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'contact',
    localId: contact.id,
    externalId: link.externalId,
    externalAccount: ctx.realmId,
    data: { ...link.data, version, display_name: updated.DisplayName, sync_token: updated.SyncToken },
  });
  return { updated: true };
}
