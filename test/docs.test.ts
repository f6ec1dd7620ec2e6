import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './api.js';
import { backends } from './databases.js';

/** docs/api.md documents every operation the OpenAPI document has, and no operation that is gone. */
describe('API documentation', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(backends[0] as (typeof backends)[number]);
  });
  afterAll(() => api.close());

  it('lists every endpoint', () => {
    const docs = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
    const documented = new Set(
      [...docs.matchAll(/^\| `(GET|POST|PATCH|PUT|DELETE) (\/[^`]*)`/gm)].map((m) => `${m[1]} ${m[2]}`),
    );
    const doc = api.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace(/^\/api\/v1/, '')}`),
    );
    expect(operations.filter((operation) => !documented.has(operation))).toEqual([]);
    expect([...documented].filter((operation) => !operations.includes(operation))).toEqual([]);
  });

  it('serves the OpenAPI document with named schemas and the interactive docs', async () => {
    const openapi = await api.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(openapi.statusCode).toBe(200);
    const body = openapi.json();
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.components.schemas)).toEqual(
      expect.arrayContaining(['Contact', 'Invoice', 'Payment', 'Job', 'Error']),
    );
    const docs = await api.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('<html');
  });
});
