import type Stripe from 'stripe';
import { z } from 'zod';
import { invalidRequest } from '../../kernel/errors.js';
import { stripeId } from '../../kernel/ids.js';
import {
  bool,
  emptyable,
  expand,
  listParams,
  mergeMetadata,
  metadata,
  parseParams,
  str,
} from '../../kernel/params.js';
import type { RequestContext } from '../../kernel/router.js';
import type { ResourceModule } from '../../server.js';
import { listObjects, type Stored, store, textOrNull, updateWithEvent } from './common.js';
import {
  defaultPriceDataParam,
  dimensions,
  features,
  productDataParam,
  taxDetails,
} from './catalog-params.js';
import { createPrice } from './prices.js';

export type Product = Stored<Stripe.Product>;

const createSchema = productDataParam()
  .extend({
    default_price_data: defaultPriceDataParam().optional(),
    description: str(40000).optional(),
    expand: expand(),
    images: z.array(str(2048)).max(8).optional(),
    marketing_features: features.optional(),
    package_dimensions: dimensions.optional(),
    shippable: bool().optional(),
    type: z.enum(['good', 'service']).optional(),
    url: str(5000).optional(),
  })
  .strict();
type ProductInput = z.output<typeof createSchema>;

const updateSchema = z
  .object({
    active: bool().optional(),
    default_price: str(255).optional(),
    description: emptyable(str(40000)).optional(),
    expand: expand(),
    images: emptyable(z.array(str(2048)).max(8)).optional(),
    marketing_features: emptyable(features).optional(),
    metadata: metadata(),
    name: str().optional(),
    package_dimensions: emptyable(dimensions).optional(),
    shippable: bool().optional(),
    statement_descriptor: str(22).optional(),
    tax_code: emptyable(str()).optional(),
    tax_details: emptyable(taxDetails).optional(),
    unit_label: emptyable(str(12)).optional(),
    url: emptyable(str(5000)).optional(),
  })
  .strict();

const listSchema = z
  .object({
    ...listParams,
    active: bool().optional(),
    ids: z.array(str(255)).optional(),
    shippable: bool().optional(),
    type: z.enum(['good', 'service']).optional(),
    url: str().optional(),
  })
  .strict();

/** Products: create (with `default_price_data`), retrieve, update (`active=false` archives), list, delete. */
export const productsResource: ResourceModule = (router) => {
  router.post('/v1/products', (context) => {
    const params = parseParams(createSchema, context.params);
    const product = createProduct(context, params);
    if (params.default_price_data) {
      let price;
      try {
        price = createPrice(context, { ...params.default_price_data, product: product.id }, false);
      } catch (error) {
        // An invalid default price fails the whole request, leaving no product behind.
        context.account.delete(product.id);
        throw error;
      }
      // The product is announced complete, default price included, and then its price.
      product.default_price = price.id;
      context.emit('product.created', product);
      context.emit('price.created', price);
      return product;
    }
    context.emit('product.created', product);
    return product;
  });

  router.get('/v1/products/:id', ({ account, pathParams, params }) => {
    parseParams(z.object({ expand: expand() }).strict(), params);
    return account.get<Product>('product', String(pathParams.id));
  });

  router.post('/v1/products/:id', (context) => {
    const product = context.account.get<Product>('product', String(context.pathParams.id));
    const p = parseParams(updateSchema, context.params);
    if (p.default_price !== undefined) {
      const price = context.account.find<Stored<Stripe.Price>>('price', p.default_price);
      if (!price)
        throw invalidRequest(`No such price: '${p.default_price}'`, {
          param: 'default_price',
          code: 'resource_missing',
        });
      if (price.product !== product.id) {
        throw invalidRequest(`The price '${price.id}' does not belong to product '${product.id}'.`, {
          param: 'default_price',
        });
      }
    }
    return updateWithEvent(
      context,
      product,
      (prod) => {
        if (p.active !== undefined) prod.active = p.active;
        if (p.default_price !== undefined) prod.default_price = p.default_price;
        if (p.description !== undefined) prod.description = textOrNull(p.description);
        if (p.images !== undefined) prod.images = p.images === '' ? [] : p.images;
        if (p.marketing_features !== undefined) {
          prod.marketing_features = p.marketing_features === '' ? [] : p.marketing_features;
        }
        if (p.metadata !== undefined) prod.metadata = mergeMetadata(prod.metadata, p.metadata);
        if (p.name !== undefined) prod.name = p.name;
        if (p.package_dimensions !== undefined) {
          prod.package_dimensions = p.package_dimensions === '' ? null : p.package_dimensions;
        }
        if (p.shippable !== undefined) prod.shippable = p.shippable;
        if (p.statement_descriptor !== undefined)
          prod.statement_descriptor = textOrNull(p.statement_descriptor);
        if (p.tax_code !== undefined) prod.tax_code = textOrNull(p.tax_code);
        if (p.tax_details !== undefined) {
          prod.tax_details = p.tax_details === '' ? null : renderTaxDetails(p.tax_details);
        }
        if (p.unit_label !== undefined) prod.unit_label = textOrNull(p.unit_label);
        if (p.url !== undefined) prod.url = textOrNull(p.url);
      },
      (prod) => {
        prod.updated = context.now;
      },
    );
  });

  router.delete('/v1/products/:id', (context) => {
    const product = context.account.get<Product>('product', String(context.pathParams.id));
    // Stripe's rule: a product that has prices can only be archived, never deleted.
    if (context.account.all<Stored<Stripe.Price>>('price').some((price) => price.product === product.id)) {
      throw invalidRequest(
        'This product cannot be deleted because it has one or more user-created prices associated with it.',
      );
    }
    context.account.delete(product.id);
    context.emit('product.deleted', product);
    const deleted: Stripe.DeletedProduct = { id: product.id, object: 'product', deleted: true };
    return deleted;
  });

  router.get('/v1/products', ({ account, params }) => {
    const q = parseParams(listSchema, params);
    return listObjects<Product>(
      account,
      'product',
      q,
      '/v1/products',
      (prod) =>
        (q.active === undefined || prod.active === q.active) &&
        (q.ids === undefined || q.ids.includes(prod.id)) &&
        (q.shippable === undefined || prod.shippable === q.shippable) &&
        (q.type === undefined || prod.type === q.type) &&
        (q.url === undefined || prod.url === q.url),
    );
  });
};

/** Stores a new product without emitting: the caller emits once the product is complete. */
export function createProduct(
  context: RequestContext,
  p: Omit<ProductInput, 'default_price_data' | 'expand'>,
): Product {
  const id = p.id ?? stripeId('prod', 14);
  if (context.account.objects.has(id)) {
    throw invalidRequest(`Product already exists.`, { param: 'id', code: 'resource_already_exists' });
  }
  return store<Stripe.Product>(context.account, {
    id,
    object: 'product',
    active: p.active ?? true,
    created: context.now,
    default_price: null,
    description: p.description ?? null,
    images: p.images ?? [],
    livemode: false,
    marketing_features: p.marketing_features ?? [],
    metadata: mergeMetadata({}, p.metadata),
    name: p.name,
    package_dimensions: p.package_dimensions ?? null,
    shippable: p.shippable ?? null,
    statement_descriptor: p.statement_descriptor ?? null,
    tax_code: p.tax_code ?? null,
    tax_details: p.tax_details ? renderTaxDetails(p.tax_details) : null,
    type: p.type ?? 'service',
    unit_label: p.unit_label ?? null,
    updated: context.now,
    url: p.url ?? null,
  });
}

function renderTaxDetails(details: z.output<typeof taxDetails>): Stripe.Product.TaxDetails {
  return {
    performance_location: details.performance_location ?? null,
    tax_code: textOrNull(details.tax_code),
  };
}
