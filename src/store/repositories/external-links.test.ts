import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../../../test/databases.js';
import { createTenant } from '../../access/repository.js';
import { findLinkByExternal, findLinkByLocal, LinkConflictError, upsertLink } from './external-links.js';

describe.each(backends)('external links on $name', (backend) => {
  let database: TestDatabase;
  let tenantA: string;
  let tenantB: string;
  beforeAll(async () => {
    database = await backend.create();
    tenantA = (await createTenant(database.db, 'A')).id;
    tenantB = (await createTenant(database.db, 'B')).id;
  });
  afterAll(() => database.drop());

  const contact = (tenantId: string, localId: string, externalId: string) =>
    ({
      tenantId,
      provider: 'stripe',
      localType: 'contact',
      localId,
      externalId,
      externalAccount: 'acct_1',
    }) as const;

  it('finds a link both ways, and only in its tenant', async () => {
    const { db } = database;
    const link = await upsertLink(db, { ...contact(tenantA, 'con_1', 'cus_1'), data: { email: 'a@x.test' } });
    expect(link).toMatchObject({ localId: 'con_1', externalId: 'cus_1', data: { email: 'a@x.test' } });
    expect((await findLinkByLocal(db, contact(tenantA, 'con_1', '')))?.externalId).toBe('cus_1');
    expect((await findLinkByExternal(db, contact(tenantA, '', 'cus_1')))?.localId).toBe('con_1');
    expect(await findLinkByLocal(db, contact(tenantB, 'con_1', ''))).toBeUndefined();
    expect(await findLinkByExternal(db, contact(tenantB, '', 'cus_1'))).toBeUndefined();
    expect(await findLinkByExternal(db, { ...contact(tenantA, '', 'cus_1'), localType: 'service' })).toBe(
      undefined,
    );
  });

  it('recording the same pair again only updates data', async () => {
    const { db } = database;
    await upsertLink(db, contact(tenantA, 'con_2', 'cus_2'));
    const again = await upsertLink(db, { ...contact(tenantA, 'con_2', 'cus_2'), data: { v: 2 } });
    expect(again.data).toEqual({ v: 2 });
    const rows = await db.query("SELECT 1 FROM external_links WHERE local_id = 'con_2'");
    expect(rows).toHaveLength(1);
  });

  it('refuses to re-point a link or to link one external object twice', async () => {
    const { db } = database;
    await upsertLink(db, contact(tenantA, 'con_3', 'cus_3'));
    await expect(upsertLink(db, contact(tenantA, 'con_3', 'cus_other'))).rejects.toThrow(LinkConflictError);
    await expect(upsertLink(db, contact(tenantA, 'con_4', 'cus_3'))).rejects.toThrow(
      /already linked to contact con_3/,
    );
    await expect(
      upsertLink(db, { ...contact(tenantA, 'con_3', 'cus_3'), externalAccount: 'acct_2' }),
    ).rejects.toThrow(LinkConflictError);
    expect((await findLinkByLocal(db, contact(tenantA, 'con_3', '')))?.externalId).toBe('cus_3');
    // Another tenant may link its own object to an external id that happens to be equal.
    await expect(upsertLink(db, contact(tenantB, 'con_3', 'cus_3'))).resolves.toMatchObject({
      tenantId: tenantB,
    });
  });

  it('the database itself refuses a second link for one external object', async () => {
    await expect(
      database.db.query(
        `INSERT INTO external_links (tenant_id, provider, local_type, local_id, external_id, external_account)
         VALUES ($1, 'stripe', 'contact', 'con_9', 'cus_1', 'acct_1')`,
        [tenantA],
      ),
    ).rejects.toMatchObject({ code: '23505' });
  });
});
