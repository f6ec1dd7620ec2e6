import type Stripe from 'stripe';
import { PermanentJobError } from '../../../jobs/errors.js';
import { type Contact, getContact } from '../../../store/repositories/contacts.js';
import {
  type ExternalLink,
  findLinkByExternal,
  dropLinkToOtherAccount,
  findLinkByLocal,
  upsertLink,
} from '../../../store/repositories/external-links.js';
import { call, keyFor, ourMetadata, type SyncContext } from './context.js';

/**
 * Contacts → Stripe customers: one customer per contact, found by the stored link, else by email
 * (the customer carrying our metadata, else the oldest one no other contact holds), else created.
 * Name, email, phone and billing address are ours: Stripe's copy is overwritten when they change.
 */
function customerFields(contact: Contact) {
  const address = contact.billingAddress;
  return {
    name: contact.name,
    ...(contact.email === null ? {} : { email: contact.email }),
    ...(contact.phone === null ? {} : { phone: contact.phone }),
    address:
      address === null
        ? ('' as const)
        : {
            line1: address.line1,
            ...(address.line2 === undefined ? {} : { line2: address.line2 }),
            city: address.city,
            ...(address.region === undefined ? {} : { state: address.region }),
            postal_code: address.postal_code,
            country: address.country,
          },
  };
}

function creationFields(contact: Contact) {
  const { address, ...rest } = customerFields(contact);
  return address === '' ? rest : { ...rest, address };
}

/**
 * The contact's link to a customer in the connected account. A link to another account (the business
 * connected a different Stripe account since) is dropped: the contact becomes a customer here too.
 */
async function contactLink(ctx: SyncContext, contactId: string): Promise<ExternalLink | undefined> {
  const ref = {
    tenantId: ctx.tenantId,
    provider: 'stripe',
    localType: 'contact',
    localId: contactId,
  } as const;
  await dropLinkToOtherAccount(ctx.db, { ...ref, account: ctx.account });
  return findLinkByLocal(ctx.db, ref);
}

async function loadContact(ctx: SyncContext, contactId: string): Promise<Contact> {
  const contact = await getContact(ctx.db, ctx.tenantId, contactId);
  if (!contact) throw new PermanentJobError(`contact ${contactId} does not exist`);
  return contact;
}

/** The contact's Stripe customer id: linked, found by email (and linked), or created (and linked). */
export async function ensureCustomer(ctx: SyncContext, contactId: string): Promise<string> {
  const link = await contactLink(ctx, contactId);
  if (link) return link.externalId;
  const contact = await loadContact(ctx, contactId);
  const { stripe } = ctx.access;
  const version = contact.updatedAt.getTime();

  let found = await findExisting(ctx, contact);
  if (found && found.metadata?.ledgerbridge_contact_id !== contact.id) {
    // A customer someone made in Stripe: it becomes this contact's, with our details and metadata.
    const existing = found;
    found = await call(
      ctx,
      `adopt Stripe customer ${existing.id}`,
      keyFor(ctx, contact.id, 'adopt', existing.id, version),
      (o) =>
        stripe.customers.update(
          existing.id,
          { ...customerFields(contact), metadata: ourMetadata(ctx, { ledgerbridge_contact_id: contact.id }) },
          o,
        ),
    );
  }
  const customer =
    found ??
    (await call(
      ctx,
      `create the Stripe customer of contact ${contact.name}`,
      keyFor(ctx, contact.id, 'customer'),
      (o) =>
        stripe.customers.create(
          {
            ...creationFields(contact),
            metadata: ourMetadata(ctx, { ledgerbridge_contact_id: contact.id }),
          },
          o,
        ),
    ));
  await upsertLink(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'stripe',
    localType: 'contact',
    localId: contact.id,
    externalId: customer.id,
    externalAccount: ctx.account,
    data: { version },
  });
  return customer.id;
}

async function findExisting(ctx: SyncContext, contact: Contact): Promise<Stripe.Customer | undefined> {
  const { stripe } = ctx.access;
  if (contact.email !== null) {
    const email = contact.email;
    const page = await call(ctx, `look up Stripe customers with email ${email}`, undefined, (o) =>
      stripe.customers.list({ email, limit: 100 }, o),
    );
    const ours = page.data.find((c) => c.metadata?.ledgerbridge_contact_id === contact.id);
    if (ours) return ours;
    const free: Stripe.Customer[] = [];
    for (const candidate of page.data) {
      if (candidate.metadata?.ledgerbridge_contact_id) continue; // another contact's, of this or another install
      const holder = await findLinkByExternal(ctx.db, {
        tenantId: ctx.tenantId,
        provider: 'stripe',
        localType: 'contact',
        externalId: candidate.id,
      });
      if (!holder) free.push(candidate);
    }
    const oldest = free.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id))[0];
    if (oldest) return oldest;
  }
  if (!ctx.retrying) return undefined;
  // A previous attempt may have created the customer and failed before linking it.
  const result = await call(ctx, 'search Stripe customers', undefined, (o) =>
    stripe.customers.search({ query: `metadata['ledgerbridge_contact_id']:'${contact.id}'` }, o),
  );
  return result.data[0];
}

/** A linked contact changed: its customer gets the new details. Unlinked contacts are left alone. */
export async function syncContact(ctx: SyncContext, contactId: string): Promise<{ updated: boolean }> {
  const link = await contactLink(ctx, contactId);
  if (!link) return { updated: false };
  const contact = await loadContact(ctx, contactId);
  const version = contact.updatedAt.getTime();
  if (link.data.version === version) return { updated: false };
  await call(
    ctx,
    `update the Stripe customer of contact ${contact.name}`,
    keyFor(ctx, contact.id, 'customer', version),
    (o) => ctx.access.stripe.customers.update(link.externalId, customerFields(contact), o),
  );
  await upsertLink(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'stripe',
    localType: 'contact',
    localId: contact.id,
    externalId: link.externalId,
    externalAccount: ctx.account,
    data: { ...link.data, version },
  });
  return { updated: true };
}
