// `thread-store distribute` (src/db/citus.ts): refuses with Unsupported on a server without Citus
// (every run of the normal suite checks that); on the Citus suite's distributed database it is
// idempotent, and a migration applied afterwards keeps working — its new table is distributed with
// the others, its single-node policy gets the Citus form, DDL on a distributed table reaches the
// shards — with row-level security holding for the application role on the new table.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { citusStatus, distribute } from '../../src/db/citus.js';
import { openPostgresDatabase, sqlStateOf } from '../../src/db/database.js';
import { loadMigrations, migrate, type Migration } from '../../src/db/migrate.js';
import { UnsupportedError } from '../../src/model/errors.js';
import { tenantScopeSteps } from '../../src/db/tenantPipeline.js';
import { createTestDatabase } from '../helpers/database.js';

const CITUS = inject('citusUrl');

describe.skipIf(CITUS !== null)('distribute on a server without Citus', () => {
  it('is Unsupported, says why, and changes nothing', async () => {
    const test = await createTestDatabase();
    const owner = await test.openOwner();
    try {
      const before = await owner.withSession((s) => s.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_policies WHERE schemaname = 'thread_store'`));
      const error = await owner.withSession((s) => distribute(s)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedError);
      expect((error as UnsupportedError).message).toMatch(/no Citus extension/);
      const after = await owner.withSession((s) => s.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_policies WHERE schemaname = 'thread_store'`));
      expect(after.rows).toEqual(before.rows);
      expect(await owner.layout()).toBe('single');
    } finally {
      await test.drop();
    }
  });
});

describe.skipIf(!CITUS)('distribute on the Citus coordinator', () => {
  it('a second run finds everything in place', async () => {
    const db = openPostgresDatabase({ url: CITUS!, maxConnections: 1 });
    try {
      const result = await db.withSession((s) => distribute(s));
      expect(result).toMatchObject({ alreadyInPlace: true, distributed: [], reference: [], policiesRewritten: [], workers: 2 });
      const status = await db.withSession((s) => citusStatus(s));
      expect(status.tables.filter((t) => t.kind === 'local')).toEqual([]);
      expect(status.tables.filter((t) => t.kind === 'reference').map((t) => t.table)).toEqual(['tenants', 'writer_processes']);
      expect(await db.layout()).toBe('citus-distributed');
    } finally {
      await db.close();
    }
  });

  it('a migration applied to the distributed database: new table distributed and co-located, its policy in Citus form, DDL on the shards, RLS holds', async () => {
    const db = openPostgresDatabase({ url: CITUS!, maxConnections: 2 });
    const all = await loadMigrations();
    const probe: Migration = {
      idx: all.at(-1)!.idx + 1,
      tag: `9999_citus_probe_${randomUUID().slice(0, 8)}`,
      hash: randomUUID(),
      statements: [
        `CREATE TABLE thread_store.citus_probe (tenant_id uuid NOT NULL, id uuid NOT NULL, note text, PRIMARY KEY (tenant_id, id))`,
        `ALTER TABLE thread_store.citus_probe ENABLE ROW LEVEL SECURITY`,
        `ALTER TABLE thread_store.citus_probe FORCE ROW LEVEL SECURITY`,
        // The single-node form (a sub-select), as the migrations write it.
        `CREATE POLICY tenant_isolation ON thread_store.citus_probe FOR ALL
           USING (tenant_id = ANY ((SELECT thread_store.current_tenant_ids())::uuid[]))
           WITH CHECK (tenant_id = ANY ((SELECT thread_store.current_tenant_ids())::uuid[]))`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON thread_store.citus_probe TO thread_store_app`,
        `ALTER TABLE thread_store.threads ADD COLUMN citus_probe_note text`,
      ],
    };
    try {
      const result = await migrate(db, [...all, probe]);
      expect(result.applied).toEqual([probe.tag]);
      const placed = await db.withSession((s) =>
        s.query<{ table: string; colocated: boolean }>(
          `SELECT logicalrelid::regclass::text AS table,
                  colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'thread_store.threads'::regclass) AS colocated
             FROM pg_dist_partition WHERE logicalrelid = 'thread_store.citus_probe'::regclass`,
        ),
      );
      expect(placed.rows).toEqual([{ table: 'thread_store.citus_probe', colocated: true }]);
      const policy = await db.withSession((s) => s.query<{ qual: string }>(`SELECT qual FROM pg_policies WHERE schemaname = 'thread_store' AND tablename = 'citus_probe'`));
      expect(policy.rows).toHaveLength(1);
      expect(policy.rows[0]!.qual).not.toMatch(/SELECT/i);
      // The new column is on every shard of threads.
      const shards = await db.withSession((s) =>
        s.query<{ result: string }>(
          `SELECT result FROM run_command_on_shards('thread_store.threads', $$SELECT count(*) FROM pg_attribute WHERE attrelid = '%s'::regclass AND attname = 'citus_probe_note'$$)`,
        ),
      );
      expect(shards.rows.length).toBe(32);
      expect(new Set(shards.rows.map((r) => r.result))).toEqual(new Set(['1']));
      // As the application role: a tenant writes and reads its row, another tenant sees nothing and cannot write as the first.
      const [a, b] = [randomUUID(), randomUUID()];
      const asApp = (tenant: string, sql: string, params: unknown[]) =>
        db.withSession(async (s) => {
          await s.query('BEGIN');
          try {
            await s.query('SET LOCAL ROLE thread_store_app');
            for (const step of tenantScopeSteps(tenant, 'citus-distributed')) await s.query(step.statement.text, [...step.params]);
            const r = await s.query<{ id: string }>(sql, params);
            await s.query('COMMIT');
            return r.rows;
          } catch (error) {
            await s.query('ROLLBACK');
            throw error;
          }
        });
      const id = randomUUID();
      await asApp(a, 'INSERT INTO thread_store.citus_probe (tenant_id, id, note) VALUES ($1, $2, $3)', [a, id, 'mine']);
      expect(await asApp(a, 'SELECT id::text FROM thread_store.citus_probe WHERE tenant_id = $1', [a])).toEqual([{ id }]);
      expect(await asApp(b, 'SELECT id::text FROM thread_store.citus_probe WHERE tenant_id = $1', [a])).toEqual([]);
      const refused = await asApp(b, 'INSERT INTO thread_store.citus_probe (tenant_id, id, note) VALUES ($1, $2, $3)', [a, randomUUID(), 'theirs']).catch((e: unknown) => e);
      expect(sqlStateOf(refused)).toBe('42501'); // row-level security, checked on the worker
    } finally {
      await db.withSession(async (s) => {
        await s.query('DROP TABLE IF EXISTS thread_store.citus_probe');
        await s.query('ALTER TABLE thread_store.threads DROP COLUMN IF EXISTS citus_probe_note');
        await s.query('DELETE FROM thread_store_meta.migrations WHERE tag = $1', [probe.tag]);
      });
      await db.close();
    }
  });
});
