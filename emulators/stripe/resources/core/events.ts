import { z } from 'zod';
import { invalidRequest } from '../../kernel/errors.js';
import { bool, expand, listParams, parseParams, str } from '../../kernel/params.js';
import type { StripeObject } from '../../kernel/state.js';
import type { ResourceModule } from '../../server.js';
import { listObjects } from './common.js';

/** Stripe keeps events listable for 30 days. */
const RETENTION_SECONDS = 30 * 24 * 60 * 60;

const listSchema = z
  .object({
    ...listParams,
    delivery_success: bool().optional(),
    type: str(200).optional(),
    types: z.array(str(200)).max(20).optional(),
  })
  .strict();

/** Events: retrieve and list (`type` with a trailing `*` wildcard, `types[]`, `created`), newest first. */
export const eventsResource: ResourceModule = (router) => {
  router.get('/v1/events/:id', ({ account, pathParams, params }) => {
    parseParams(z.object({ expand: expand() }).strict(), params);
    return account.get<StripeObject>('event', String(pathParams.id));
  });

  router.get('/v1/events', ({ account, params, now }) => {
    const q = parseParams(listSchema, params);
    if (q.type !== undefined && q.types !== undefined) {
      throw invalidRequest('You may only specify one of these parameters: type, types.');
    }
    const matchesType = typeFilter(q.type, q.types);
    return listObjects<StripeObject>(
      account,
      'event',
      q,
      '/v1/events',
      (event) =>
        Number(event.created) >= now - RETENTION_SECONDS &&
        matchesType(String(event.type)) &&
        // Without per-endpoint delivery history in the API, success means nothing is still pending.
        (q.delivery_success === undefined || (Number(event.pending_webhooks) === 0) === q.delivery_success),
    );
  });
};

/** `type=invoice.*` matches every invoice event; `types[]` is a list of exact names. */
function typeFilter(
  type: string | undefined,
  types: readonly string[] | undefined,
): (name: string) => boolean {
  if (types) return (name) => types.includes(name);
  if (type === undefined) return () => true;
  if (type.endsWith('*')) {
    const prefix = type.slice(0, -1);
    return (name) => name.startsWith(prefix);
  }
  return (name) => name === type;
}
