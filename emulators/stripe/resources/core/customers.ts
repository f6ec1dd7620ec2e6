import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { z } from 'zod';
import { stripeId } from '../../kernel/ids.js';
import { newestFirst } from '../../kernel/list.js';
import {
  bool,
  emptyable,
  expand,
  int,
  listParams,
  mergeMetadata,
  metadata,
  parseParams,
  str,
} from '../../kernel/params.js';
import type { AccountState } from '../../kernel/state.js';
import type { ResourceModule } from '../../server.js';
import {
  addressParam,
  listObjects,
  renderAddress,
  type Stored,
  store,
  textOrNull,
  updateWithEvent,
} from './common.js';
import { compileQuery, searchPage } from './search.js';

type Customer = Stored<Stripe.Customer>;

const invoiceSettings = z
  .object({
    custom_fields: emptyable(
      z.array(z.object({ name: str(40), value: str(140) }).strict()).max(4),
    ).optional(),
    default_payment_method: str(255).optional(),
    footer: str(5000).optional(),
    rendering_options: emptyable(
      z
        .object({
          amount_tax_display: emptyable(z.enum(['exclude_tax', 'include_inclusive_tax'])).optional(),
          template: str(255).optional(),
        })
        .strict(),
    ).optional(),
  })
  .strict();

const shipping = z.object({ address: addressParam(), name: str(5000), phone: str(20).optional() }).strict();

/** Parameters shared by create and update (CustomerCreateParams / CustomerUpdateParams). */
const fields = {
  address: emptyable(addressParam()).optional(),
  balance: int().optional(),
  business_name: emptyable(str(150)).optional(),
  description: str().optional(),
  email: str(512).optional(),
  expand: expand(),
  individual_name: emptyable(str(150)).optional(),
  invoice_prefix: z
    .string()
    .regex(/^[A-Z0-9]{3,12}$/)
    .optional(),
  invoice_settings: invoiceSettings.optional(),
  metadata: metadata(),
  name: str(256).optional(),
  next_invoice_sequence: int(1).optional(),
  phone: str(20).optional(),
  preferred_locales: z.array(str(10)).optional(),
  shipping: emptyable(shipping).optional(),
  tax: z
    .object({
      ip_address: emptyable(str(45)).optional(),
      validate_location: z.enum(['deferred', 'immediately']).optional(),
    })
    .strict()
    .optional(),
  tax_exempt: emptyable(z.enum(['exempt', 'none', 'reverse'])).optional(),
  validate: bool().optional(),
};
const createSchema = z.object(fields).strict();
const updateSchema = z.object(fields).strict();
type CustomerInput = z.output<typeof updateSchema>;

const listSchema = z
  .object({ ...listParams, email: str(512).optional(), test_clock: str().optional() })
  .strict();
const searchSchema = z
  .object({ query: str(), limit: int(1, 100).optional(), page: str().optional(), expand: expand() })
  .strict();

/** Ids of deleted customers per account: Stripe still answers them with a `deleted: true` stub. */
const deletedIds = new WeakMap<AccountState, Set<string>>();

/** Ids of the account's deleted customers (retrieve answers `deleted: true` for them), for snapshots. */
export function deletedCustomerIds(account: AccountState): string[] {
  return [...(deletedIds.get(account) ?? [])];
}

export function restoreDeletedCustomers(account: AccountState, ids: readonly string[]): void {
  if (ids.length > 0) deletedIds.set(account, new Set(ids));
}

/** Customers: CRUD, list by email, and search (`email:'…'`, `name:'…'`, `metadata['k']:'v'`). */
export const customersResource: ResourceModule = (router) => {
  router.post('/v1/customers', (context) => {
    const params = parseParams(createSchema, context.params);
    const customer = store<Stripe.Customer>(context.account, {
      id: stripeId('cus', 14),
      object: 'customer',
      address: null,
      balance: 0,
      created: context.now,
      currency: null,
      default_source: null,
      delinquent: false,
      description: null,
      discount: null,
      email: null,
      invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
      invoice_settings: {
        custom_fields: null,
        default_payment_method: null,
        footer: null,
        rendering_options: null,
      },
      livemode: false,
      metadata: {},
      name: null,
      next_invoice_sequence: 1,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    });
    applyFields(customer, params);
    context.emit('customer.created', customer);
    return customer;
  });

  router.get('/v1/customers/search', ({ account, params }) => {
    const { query, limit, page } = parseParams(searchSchema, params);
    const matches = compileQuery(query, {
      email: (c) => c.email as string | null,
      name: (c) => c.name as string | null,
      phone: (c) => c.phone as string | null,
      description: (c) => c.description as string | null,
    });
    const found = newestFirst(account.all<Customer>('customer').filter(matches));
    return searchPage(found, { limit, page }, '/v1/customers/search');
  });

  router.get('/v1/customers/:id', ({ account, pathParams, params }) => {
    parseParams(z.object({ expand: expand() }).strict(), params);
    const id = String(pathParams.id);
    if (deletedIds.get(account)?.has(id)) return { id, object: 'customer', deleted: true };
    return account.get<Customer>('customer', id);
  });

  router.post('/v1/customers/:id', (context) => {
    const customer = context.account.get<Customer>('customer', String(context.pathParams.id));
    const params = parseParams(updateSchema, context.params);
    return updateWithEvent(context, customer, (c) => applyFields(c, params));
  });

  router.delete('/v1/customers/:id', (context) => {
    const { account } = context;
    const customer = account.get<Customer>('customer', String(context.pathParams.id));
    account.delete(customer.id);
    const deleted = deletedIds.get(account) ?? new Set<string>();
    deleted.add(customer.id);
    deletedIds.set(account, deleted);
    context.emit('customer.deleted', customer);
    const stub: Stripe.DeletedCustomer = { id: customer.id, object: 'customer', deleted: true };
    return stub;
  });

  router.get('/v1/customers', ({ account, params }) => {
    const query = parseParams(listSchema, params);
    return listObjects<Customer>(account, 'customer', query, '/v1/customers', (c) =>
      query.email === undefined ? true : c.email === query.email,
    );
  });
};

/** Writes the given parameters onto the customer the way Stripe reads each one. */
function applyFields(customer: Customer, params: CustomerInput): void {
  const p = params;
  if (p.address !== undefined) customer.address = p.address === '' ? null : renderAddress(p.address);
  if (p.balance !== undefined) customer.balance = p.balance;
  if (p.business_name !== undefined) setOptional(customer, 'business_name', p.business_name);
  if (p.individual_name !== undefined) setOptional(customer, 'individual_name', p.individual_name);
  if (p.description !== undefined) customer.description = textOrNull(p.description);
  if (p.email !== undefined) customer.email = textOrNull(p.email);
  if (p.name !== undefined) customer.name = textOrNull(p.name);
  if (p.phone !== undefined) customer.phone = textOrNull(p.phone);
  if (p.invoice_prefix !== undefined) customer.invoice_prefix = p.invoice_prefix;
  if (p.next_invoice_sequence !== undefined) customer.next_invoice_sequence = p.next_invoice_sequence;
  if (p.preferred_locales !== undefined) customer.preferred_locales = p.preferred_locales;
  if (p.tax_exempt !== undefined) customer.tax_exempt = p.tax_exempt === '' ? 'none' : p.tax_exempt;
  if (p.metadata !== undefined) customer.metadata = mergeMetadata(customer.metadata, p.metadata);
  if (p.shipping !== undefined) {
    customer.shipping =
      p.shipping === ''
        ? null
        : {
            address: renderAddress(p.shipping.address),
            carrier: null,
            name: p.shipping.name,
            phone: p.shipping.phone ?? null,
            tracking_number: null,
          };
  }
  const settings = p.invoice_settings;
  if (settings) {
    const current = customer.invoice_settings;
    if (settings.custom_fields !== undefined) {
      current.custom_fields = settings.custom_fields === '' ? null : settings.custom_fields;
    }
    if (settings.default_payment_method !== undefined) {
      current.default_payment_method = textOrNull(settings.default_payment_method);
    }
    if (settings.footer !== undefined) current.footer = textOrNull(settings.footer);
    if (settings.rendering_options !== undefined) {
      const options = settings.rendering_options;
      current.rendering_options =
        options === ''
          ? null
          : {
              amount_tax_display:
                options.amount_tax_display === undefined || options.amount_tax_display === ''
                  ? null
                  : options.amount_tax_display,
              template: options.template ?? null,
            };
    }
  }
}

/** `business_name` and `individual_name` are rendered only while set. */
function setOptional(customer: Customer, field: 'business_name' | 'individual_name', value: string): void {
  if (value === '') delete customer[field];
  else customer[field] = value;
}
