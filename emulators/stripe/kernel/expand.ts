import { invalidRequest } from './errors.js';
import type { AccountState, StripeObject } from './state.js';

const MAX_DEPTH = 4;

/**
 * `expand[]`: replaces ids at the given dotted paths with the objects they name, on a copy of the
 * response. `data.` walks into a list's items, as Stripe's own expansion does.
 */
export function applyExpand(
  body: unknown,
  paths: readonly string[] | undefined,
  account: AccountState,
): unknown {
  if (!paths || paths.length === 0) return body;
  let result = structuredClone(body);
  for (const path of paths) {
    const parts = path.split('.');
    if (parts.length > MAX_DEPTH) {
      throw invalidRequest(
        `You cannot expand more than ${MAX_DEPTH} levels of a property. Property: ${path}`,
        {
          param: 'expand',
        },
      );
    }
    result = expandAt(result, parts, path, account);
  }
  return result;
}

function expandAt(
  value: unknown,
  parts: readonly string[],
  fullPath: string,
  account: AccountState,
): unknown {
  const [head, ...rest] = parts;
  if (head === undefined) return value;
  if (
    isRecord(value) &&
    (value.object === 'list' || value.object === 'search_result') &&
    head === 'data' &&
    Array.isArray(value.data)
  ) {
    return { ...value, data: value.data.map((item) => expandAt(item, rest, fullPath, account)) };
  }
  if (!isRecord(value) || !(head in value)) {
    throw invalidRequest(`This property cannot be expanded (${fullPath}).`, { param: 'expand' });
  }
  let child = value[head];
  if (typeof child === 'string') {
    const found = account.objects.get(child);
    if (!found) throw invalidRequest(`This property cannot be expanded (${fullPath}).`, { param: 'expand' });
    child = structuredClone(found);
  }
  if (child === null) return value;
  return { ...value, [head]: rest.length === 0 ? child : expandAt(child, rest, fullPath, account) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type { StripeObject };
