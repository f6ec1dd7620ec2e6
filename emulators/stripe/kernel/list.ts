import { invalidRequest } from './errors.js';
import type { StripeObject } from './state.js';

export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export interface PageParams {
  limit?: number | undefined;
  starting_after?: string | undefined;
  ending_before?: string | undefined;
}

/**
 * Stripe's cursor pages over items already in list order (newest first): `limit` 1–100 (default
 * 10), `starting_after` for the next page, `ending_before` for the previous one.
 */
export function paginate<T extends StripeObject>(
  items: readonly T[],
  params: PageParams,
  url: string,
): ListObject<T> {
  const limit = params.limit ?? 10;
  if (params.starting_after !== undefined && params.ending_before !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: starting_after, ending_before.');
  }
  if (params.starting_after !== undefined) {
    const index = cursorIndex(items, params.starting_after, 'starting_after');
    const data = items.slice(index + 1, index + 1 + limit);
    return { object: 'list', data, has_more: index + 1 + limit < items.length, url };
  }
  if (params.ending_before !== undefined) {
    const index = cursorIndex(items, params.ending_before, 'ending_before');
    const start = Math.max(0, index - limit);
    return { object: 'list', data: items.slice(start, index), has_more: start > 0, url };
  }
  return { object: 'list', data: items.slice(0, limit), has_more: items.length > limit, url };
}

function cursorIndex(items: readonly StripeObject[], id: string, param: string): number {
  const index = items.findIndex((item) => item.id === id);
  if (index < 0)
    throw invalidRequest(`No such object: '${id}'`, { code: 'resource_missing', param, status: 400 });
  return index;
}

/** Newest first; objects created in the same second keep their reverse creation order. */
export function newestFirst<T extends StripeObject>(items: readonly T[]): T[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => Number(b.item.created ?? 0) - Number(a.item.created ?? 0) || b.index - a.index)
    .map(({ item }) => item);
}

/** Stripe's `created` filter: an exact second or a {gt, gte, lt, lte} range. */
export function matchesCreated(
  created: number,
  filter:
    | number
    | { gt?: number | undefined; gte?: number | undefined; lt?: number | undefined; lte?: number | undefined }
    | undefined,
): boolean {
  if (filter === undefined) return true;
  if (typeof filter === 'number') return created === filter;
  return (
    (filter.gt === undefined || created > filter.gt) &&
    (filter.gte === undefined || created >= filter.gte) &&
    (filter.lt === undefined || created < filter.lt) &&
    (filter.lte === undefined || created <= filter.lte)
  );
}
