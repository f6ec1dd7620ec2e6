import { describe, expect, it } from 'vitest';
import { backends } from '../../test/databases.js';
import { migrate } from './migrate.js';

describe.each(backends)('migrations on $name', (backend) => {
  it('applies every migration once and is a no-op the second time', async () => {
    const { db, drop } = await backend.create();
    try {
      expect(await migrate(db)).toEqual([]);
      const rows = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
      expect(rows.map((row) => row.id)).toEqual([
        '0001',
        '0002',
        '0003',
        '0004',
        '0005',
        '0006',
        '0007',
        '0008',
        '0009',
        '0010',
        '0011',
        '0012',
        '0013',
        '0014',
      ]);
    } finally {
      await drop();
    }
  });

  it('leaves no trace of a migration that fails half way', async () => {
    const { db, drop } = await backend.create();
    try {
      const broken = {
        id: '9999',
        name: 'broken',
        sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();',
      };
      await expect(migrate(db, [broken])).rejects.toThrow();
      const tables = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
      expect(tables).toHaveLength(0);
      const recorded = await db.query("SELECT 1 FROM schema_migrations WHERE id = '9999'");
      expect(recorded).toHaveLength(0);
    } finally {
      await drop();
    }
  });
});
