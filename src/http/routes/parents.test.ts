import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';

const kinds = [
  { type: 'opportunity', path: 'opportunities', prefix: 'opp_', other: 'won', bad: 'closed' },
  { type: 'ticket', path: 'tickets', prefix: 'tkt_', other: 'in_progress', bad: 'won' },
  { type: 'order', path: 'orders', prefix: 'ord_', other: 'fulfilled', bad: 'resolved' },
] as const;

describe.each(backends)('opportunities, tickets and orders API on $name', (backend) => {
  let api: TestApi;
  let tenant: TestTenant;
  let contactId: string;
  const newContact = async (t: TestTenant, name = 'Acme') =>
    (await t.request('POST', '/api/v1/contacts', { kind: 'organization', name })).json().id as string;
  beforeAll(async () => {
    api = await startTestApi(backend);
    tenant = await api.tenant();
    contactId = await newContact(tenant);
  });
  afterAll(() => api.close());

  describe.each(kinds)('$path', ({ type, path, prefix, other, bad }) => {
    const url = `/api/v1/${path}`;
    const count = async () =>
      (await api.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${path}`))[0]?.n;

    it('creates (status open by default), reads and updates', async () => {
      const created = await tenant.request('POST', url, { title: 'Roof repair', contact_id: contactId });
      expect(created.statusCode).toBe(201);
      const parent = created.json();
      expect(parent).toMatchObject({
        object: type,
        title: 'Roof repair',
        contact_id: contactId,
        status: 'open',
      });
      expect(parent.id.startsWith(prefix)).toBe(true);
      expect((await tenant.request('GET', `${url}/${parent.id}`)).json()).toEqual(parent);

      const secondContact = await newContact(tenant, 'Beta');
      const patched = await tenant.request('PATCH', `${url}/${parent.id}`, {
        status: other,
        contact_id: secondContact,
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({
        status: other,
        contact_id: secondContact,
        title: 'Roof repair',
      });
    });

    it('names the bad field, answers 400 and writes nothing', async () => {
      const before = await count();
      const foreignContact = await newContact(await api.tenant());
      const cases: [string, string, Record<string, unknown>][] = [
        ['invalid_reference', 'contact_id', { title: 'T', contact_id: foreignContact }],
        ['invalid_reference', 'contact_id', { title: 'T', contact_id: 'con_nope' }],
        ['invalid_request', 'status', { title: 'T', contact_id: contactId, status: bad }],
        ['invalid_request', 'title', { title: '  ', contact_id: contactId }],
        ['invalid_request', 'amount', { title: 'T', contact_id: contactId, amount: 5 }],
      ];
      for (const [code, field, body] of cases) {
        const response = await tenant.request('POST', url, body);
        expect(response.statusCode).toBe(400);
        expect(response.json().error.code).toBe(code);
        expect(response.json().error.message).toContain(field);
      }
      const parent = (await tenant.request('POST', url, { title: 'Kept', contact_id: contactId })).json();
      const moved = await tenant.request('PATCH', `${url}/${parent.id}`, { contact_id: foreignContact });
      expect(moved.statusCode).toBe(400);
      expect(moved.json().error).toMatchObject({ code: 'invalid_reference' });
      expect((await tenant.request('GET', `${url}/${parent.id}`)).json().contact_id).toBe(contactId);
      expect(await count()).toBe((before ?? 0) + 1);
    });

    it("answers 404 for another tenant's record", async () => {
      const stranger = await api.tenant();
      const theirs = (
        await stranger.request('POST', url, { title: 'Secret', contact_id: await newContact(stranger) })
      ).json();
      const read = await tenant.request('GET', `${url}/${theirs.id}`);
      expect(read.statusCode).toBe(404);
      expect(read.json().error.code).toBe('resource_missing');
      expect(read.body).not.toContain('Secret');
      const write = await tenant.request('PATCH', `${url}/${theirs.id}`, { title: 'Mine' });
      expect(write.statusCode).toBe(404);
      expect((await stranger.request('GET', `${url}/${theirs.id}`)).json().title).toBe('Secret');
    });

    it('lets viewers read but not write', async () => {
      const parent = (await tenant.request('POST', url, { title: 'V', contact_id: contactId })).json();
      const viewer = await tenant.keyFor('viewer');
      const headers = { authorization: `Bearer ${viewer}` };
      const post = await api.app.inject({
        method: 'POST',
        url,
        headers,
        payload: { title: 'N', contact_id: contactId },
      });
      expect(post.statusCode).toBe(403);
      const patch = await api.app.inject({
        method: 'PATCH',
        url: `${url}/${parent.id}`,
        headers,
        payload: { title: 'N' },
      });
      expect(patch.statusCode).toBe(403);
      expect((await api.app.inject({ method: 'GET', url: `${url}/${parent.id}`, headers })).statusCode).toBe(
        200,
      );
    });

    it('filters by status and contact and pages with a cursor', async () => {
      const own = await api.tenant();
      const [a, b] = [await newContact(own, 'A'), await newContact(own, 'B')];
      const ids: string[] = [];
      for (const [i, contact] of [a, b, a, a].entries()) {
        ids.push((await own.request('POST', url, { title: `#${i}`, contact_id: contact })).json().id);
      }
      await own.request('PATCH', `${url}/${ids[2]}`, { status: other });
      const idsOf = async (query: string) =>
        (await own.request('GET', `${url}?${query}`)).json().data.map((p: { id: string }) => p.id);
      expect(await idsOf(`contact_id=${a}`)).toEqual([ids[3], ids[2], ids[0]]);
      expect(await idsOf(`status=${other}`)).toEqual([ids[2]]);
      expect(await idsOf(`status=open&contact_id=${a}`)).toEqual([ids[3], ids[0]]);
      const first = (await own.request('GET', `${url}?limit=3`)).json();
      expect(first.data.map((p: { id: string }) => p.id)).toEqual([ids[3], ids[2], ids[1]]);
      const second = (await own.request('GET', `${url}?limit=3&cursor=${first.next_cursor}`)).json();
      expect(second).toEqual({ data: [expect.objectContaining({ id: ids[0] })], next_cursor: null });
    });

    it('keeps the contact while billables are for it', async () => {
      const parent = (await tenant.request('POST', url, { title: 'Billed', contact_id: contactId })).json();
      const billable = await tenant.request('POST', '/api/v1/billables', {
        parent_type: type,
        parent_id: parent.id,
        description: 'Work',
        unit_price: 1000,
        currency: 'USD',
      });
      expect(billable.statusCode).toBe(201);
      const moved = await tenant.request('PATCH', `${url}/${parent.id}`, {
        contact_id: await newContact(tenant, 'Gamma'),
      });
      expect(moved.statusCode).toBe(409);
      expect(moved.json().error.code).toBe('parent_has_billables');
      expect((await tenant.request('PATCH', `${url}/${parent.id}`, { title: 'Renamed' })).statusCode).toBe(
        200,
      );
    });
  });
});
