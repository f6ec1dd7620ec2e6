import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';

describe.each(backends)('contacts API on $name', (backend) => {
  let api: TestApi;
  let tenant: TestTenant;
  beforeAll(async () => {
    api = await startTestApi(backend);
    tenant = await api.tenant();
  });
  afterAll(() => api.close());

  it('creates, reads, updates and archives a contact', async () => {
    const created = await tenant.request('POST', '/api/v1/contacts', {
      kind: 'organization',
      name: 'Acme Plumbing',
      email: 'billing@acme.test',
      preferred_currency: 'usd',
      billing_address: { line1: '1 Main St', city: 'Springfield', postal_code: '12345', country: 'US' },
    });
    expect(created.statusCode).toBe(201);
    const contact = created.json();
    expect(contact).toMatchObject({
      object: 'contact',
      name: 'Acme Plumbing',
      preferred_currency: 'USD',
      archived: false,
    });

    const fetched = await tenant.request('GET', `/api/v1/contacts/${contact.id}`);
    expect(fetched.json()).toEqual(contact);

    const archived = await tenant.request('PATCH', `/api/v1/contacts/${contact.id}`, {
      archived: true,
      phone: '555-0100',
    });
    expect(archived.json()).toMatchObject({ archived: true, phone: '555-0100', email: 'billing@acme.test' });
  });

  it('names the bad field, answers 400 and writes nothing', async () => {
    const before = await api.db.query('SELECT count(*)::int AS n FROM contacts');
    const response = await tenant.request('POST', '/api/v1/contacts', {
      kind: 'individual',
      name: 'X',
      email: 'nope',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_request' });
    expect(response.json().error.message).toContain('email');
    const unknownField = await tenant.request('POST', '/api/v1/contacts', {
      kind: 'individual',
      name: 'X',
      colour: 'red',
    });
    expect(unknownField.statusCode).toBe(400);
    expect(await api.db.query('SELECT count(*)::int AS n FROM contacts')).toEqual(before);
  });

  it('pages through contacts with a cursor, newest first', async () => {
    const other = await api.tenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await other.request('POST', '/api/v1/contacts', {
        kind: 'individual',
        name: `Person ${i}`,
      });
      ids.push(response.json().id);
    }
    const first = (await other.request('GET', '/api/v1/contacts?limit=2')).json();
    expect(first.data.map((c: { id: string }) => c.id)).toEqual([ids[4], ids[3]]);
    const second = (
      await other.request('GET', `/api/v1/contacts?limit=2&cursor=${first.next_cursor}`)
    ).json();
    expect(second.data.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const third = (
      await other.request('GET', `/api/v1/contacts?limit=2&cursor=${second.next_cursor}`)
    ).json();
    expect(third).toMatchObject({ next_cursor: null });
    expect(third.data).toHaveLength(1);
  });

  it('lets viewers read but not write', async () => {
    const viewer = await tenant.keyFor('viewer');
    const write = await api.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: { authorization: `Bearer ${viewer}` },
      payload: { kind: 'individual', name: 'Nope' },
    });
    expect(write.statusCode).toBe(403);
    const read = await api.app.inject({
      method: 'GET',
      url: '/api/v1/contacts',
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(read.statusCode).toBe(200);
  });

  it('rejects anonymous and bad keys', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/contacts' })).statusCode).toBe(401);
    const bad = await api.app.inject({
      method: 'GET',
      url: '/api/v1/contacts',
      headers: { authorization: 'Bearer lb_wrong' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe('invalid_api_key');
  });
});
