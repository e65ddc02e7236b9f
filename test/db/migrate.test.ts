// Migrations from zero, idempotent reruns, concurrent migrators, and the schema they produce:
// 16 hash partitions for thread_items, RLS enabled and forced on every table and partition.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openEmbeddedDatabase, openPostgresDatabase, type Database } from '../../src/db/database.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { TABLES_WITHOUT_TENANT_DATA } from '../../src/db/schema/threads.js';
import { createTestDatabase, withoutClose, type TestDatabase } from '../helpers/database.js';

/** An empty database (not from the migrated template), and a way to open more connections to it. */
async function emptyDatabase(): Promise<{ open(): Promise<Database>; drop(): Promise<void> }> {
  const serverUrl = inject('serverUrl');
  if (!serverUrl) {
    const db = await openEmbeddedDatabase({});
    // One PGlite connection stands in for every "connection"; only drop() closes it.
    return { open: async () => withoutClose(db), drop: () => db.close() };
  }
  const name = `ts_empty_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const opened: Database[] = [];
  return {
    async open() {
      const db = openPostgresDatabase({ url: url.toString(), maxConnections: 2 });
      opened.push(db);
      return db;
    },
    async drop() {
      for (const db of opened) await db.close();
      const a = new pg.Client({ connectionString: serverUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

describe('migrate()', () => {
  it('applies every migration to an empty database, then is a no-op', async () => {
    const empty = await emptyDatabase();
    try {
      const db = await empty.open();
      const all = (await loadMigrations()).map((m) => m.tag);
      const first = await migrate(db);
      expect(first.applied).toEqual(all);
      const second = await migrate(db);
      expect(second.applied).toEqual([]);
      expect(second.alreadyApplied).toEqual(all);
      const { rows } = await db.withSession((s) => s.query<{ n: number }>('SELECT count(*)::int AS n FROM thread_store_meta.migrations'));
      expect(rows[0]!.n).toBe(all.length);
    } finally {
      await empty.drop();
    }
  });

  it('lets two concurrent migrators both succeed, applying each migration once', async () => {
    const empty = await emptyDatabase();
    try {
      const [a, b] = [await empty.open(), await empty.open()];
      const results = await Promise.all([migrate(a), migrate(b)]);
      const all = (await loadMigrations()).map((m) => m.tag);
      expect([...results[0]!.applied, ...results[1]!.applied].sort()).toEqual([...all].sort());
      const { rows } = await a.withSession((s) => s.query<{ n: number }>('SELECT count(*)::int AS n FROM thread_store_meta.migrations'));
      expect(rows[0]!.n).toBe(all.length);
    } finally {
      await empty.drop();
    }
  });

  it('refuses a migration whose text changed after it was applied', async () => {
    const empty = await emptyDatabase();
    try {
      const db = await empty.open();
      await migrate(db);
      const tampered = (await loadMigrations()).map((m, i) => (i === 0 ? { ...m, hash: 'x'.repeat(64) } : m));
      await expect(migrate(db, tampered)).rejects.toMatchObject({ code: 'Internal', message: expect.stringContaining('hash mismatch') });
    } finally {
      await empty.drop();
    }
  });
});

describe('schema', () => {
  let test: TestDatabase;
  let owner: Database;
  beforeAll(async () => {
    test = await createTestDatabase();
    owner = await test.openOwner();
  });
  afterAll(async () => {
    await test.drop();
  });

  it('partitions thread_items by hash of thread_id into 16 partitions', async () => {
    const { rows } = await owner.withSession((s) =>
      s.query<{ n: number; strategy: string }>(
        `SELECT (SELECT count(*)::int FROM pg_inherits WHERE inhparent = 'thread_store.thread_items'::regclass) AS n,
                (SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'thread_store.thread_items'::regclass) AS strategy`,
      ),
    );
    expect(rows[0]).toEqual({ n: 16, strategy: 'h' });
  });

  it('puts rows of different threads into different partitions', async () => {
    const tenant = randomUUID();
    const threads = Array.from({ length: 32 }, () => randomUUID());
    const partitions = await owner.transaction(
      async (tx) => {
        await tx.query(
          `INSERT INTO thread_store.thread_items (tenant_id, thread_id, seq, type, ts, payload, byte_size)
           SELECT $1, t, 0, 'event_msg', '2026-01-01T00:00:00.000Z', '{}'::jsonb, 2 FROM unnest($2::uuid[]) t`,
          [tenant, threads],
        );
        const { rows } = await tx.query<{ n: number }>(
          `SELECT count(DISTINCT tableoid)::int AS n FROM thread_store.thread_items WHERE tenant_id = $1`,
          [tenant],
        );
        return rows[0]!.n;
      },
      { tenantId: tenant },
    );
    // 32 random threads over 16 buckets: all in one partition has probability 16^-31.
    expect(partitions).toBeGreaterThan(4);
  });

  it('compresses large line and search values with lz4 where the server has it, else keeps pglz', async () => {
    const lz4 = await owner
      .transaction(async (tx) => {
        await tx.query("SET LOCAL default_toast_compression = 'lz4'");
        return true;
      })
      .catch(() => false);
    const tenant = randomUUID();
    const thread = randomUUID();
    const { columns, stored } = await owner.transaction(
      async (tx) => {
        const columns = await tx.query<{ relname: string; attname: string; compression: string }>(
          `SELECT c.relname, a.attname, a.attcompression::text AS compression
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE (c.oid = 'thread_store.thread_search'::regclass AND a.attname IN ('body', 'words'))
               OR ((c.oid = 'thread_store.thread_items'::regclass
                    OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'thread_store.thread_items'::regclass))
                   AND a.attname IN ('payload', 'raw_line'))`,
        );
        // A value past the TOAST threshold, compressible: the method it was stored with.
        await tx.query(
          `INSERT INTO thread_store.thread_items (tenant_id, thread_id, seq, type, ts, payload, raw_line, byte_size)
           VALUES ($1, $2, 0, 'response_item', '2026-01-01T00:00:00.000Z', jsonb_build_object('output', repeat('the parser returns null ', 2000)), repeat('x ', 20000), 1)`,
          [tenant, thread],
        );
        const stored = await tx.query<{ payload: string | null; raw: string | null }>(
          'SELECT pg_column_compression(payload) AS payload, pg_column_compression(raw_line) AS raw FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $2',
          [tenant, thread],
        );
        return { columns: columns.rows, stored: stored.rows[0]! };
      },
      { tenantId: tenant },
    );
    // The parent, its 16 partitions (2 columns each) and thread_search's 2.
    expect(columns).toHaveLength(2 * 17 + 2);
    for (const c of columns) expect(`${c.relname}.${c.attname}=${c.compression}`).toBe(`${c.relname}.${c.attname}=${lz4 ? 'l' : ''}`);
    expect(stored).toEqual(lz4 ? { payload: 'lz4', raw: 'lz4' } : { payload: 'pglz', raw: 'pglz' });
  });

  it('enables and forces row-level security on every table and partition that holds tenant data', async () => {
    const { rows } = await owner.withSession((s) =>
      s.query<{ relname: string; rls: boolean; forced: boolean; policies: number; tenant_column: boolean }>(
        `SELECT c.relname, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
                (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
                EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname IN ('tenant_id', 'id') AND NOT a.attisdropped
                          AND a.atttypid = 'uuid'::regtype) AS tenant_column
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'thread_store' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
      ),
    );
    const tenantTables = rows.filter((r) => !TABLES_WITHOUT_TENANT_DATA.includes(r.relname));
    expect(tenantTables.length).toBe(8 + 16);
    for (const row of tenantTables) expect(row, row.relname).toMatchObject({ rls: true, forced: true, policies: 1, tenant_column: true });
    // The exceptions hold no tenant ids at all.
    expect(rows.filter((r) => TABLES_WITHOUT_TENANT_DATA.includes(r.relname)).map((r) => [r.relname, r.tenant_column])).toEqual([['writer_processes', false]]);
  });

  it('shows nothing to the application role when no tenant is set (fail closed)', async () => {
    const store = await test.openStore();
    const tenant = randomUUID();
    const t = store.forTenant(tenant);
    const threadId = randomUUID();
    await t.createThread({ threadId, source: 'cli', originator: 'test', metadata: { cwd: '/w', modelProvider: 'p' } });
    await t.appendItems({ threadId, items: [{ type: 'event_msg', payload: { type: 'user_message', message: 'hi' } }] });
    const counts = await store.database.withSession(async (s) => {
      const items = await s.query<{ n: number }>('SELECT count(*)::int AS n FROM thread_store.thread_items');
      const threads = await s.query<{ n: number }>('SELECT count(*)::int AS n FROM thread_store.threads');
      const partition = await s.query<{ n: number }>('SELECT count(*)::int AS n FROM thread_store.thread_items_p00');
      return [items.rows[0]!.n, threads.rows[0]!.n, partition.rows[0]!.n];
    });
    expect(counts).toEqual([0, 0, 0]);
    await expect(
      store.database.withSession((s) =>
        s.query(`INSERT INTO thread_store.threads (tenant_id, id, created_at, updated_at, recency_at) VALUES ($1, $2, now(), now(), now())`, [tenant, randomUUID()]),
      ),
    ).rejects.toThrow(/row-level security/);
    await t.shutdownThread(threadId);
    await store.close();
  });
});
