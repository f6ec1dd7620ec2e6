import type { FastifyInstance } from 'fastify';
import { registerPersonAdmin } from './admin.js';
import type { TokenMinter } from './client.js';
import { QuickBooksClient } from './client.js';
import type { Companies } from './page.js';
import { registerPersonPages } from './page.js';

export type { PersonResult } from './actions.js';

/**
 * A person working in QuickBooks: the admin JSON API under `/_emulator/companies/:realmId/person/…`
 * and the HTML page at `/app`. Every action goes through the emulator's public REST API with a
 * user's bearer token, so it meets the same rules, SyncTokens, change events and webhooks as any
 * API client.
 */
export function registerPersonRoutes(
  app: FastifyInstance,
  deps: { authority: TokenMinter; companies: Companies },
): void {
  const client = new QuickBooksClient(app, deps.authority);
  const knownRealm = (realmId: string) => deps.companies().some((company) => company.realmId === realmId);
  void app.register(async (scope) => {
    // Own parsers, whatever the REST API uses: plain JSON (an empty body is {}) and HTML forms.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(String(body)));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    if (scope.hasContentTypeParser('application/x-www-form-urlencoded')) {
      scope.removeContentTypeParser('application/x-www-form-urlencoded');
    }
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    registerPersonAdmin(scope, client, knownRealm);
    registerPersonPages(scope, client, deps.companies);
  });
}
