// Proves the role and row-level-security setup from the catalog and from raw SQL run as the
// application role: it is not a superuser, owns nothing and cannot bypass RLS; every table,
// partition and view is covered for SELECT/INSERT/UPDATE/DELETE with USING and WITH CHECK; a
// connection that forgot the tenant sees nothing and can write nothing; the tenant setting never
// outlives a store transaction. On a server, also as real LOGIN users: the application login opens
// the store with migrate: false, refuses a schema that is behind with a clear message, and the
// `setup-roles` flow (owner login migrates, app login works) holds end to end.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPostgresDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { openPostgresService as openThreadStore } from '../../src/store/openThreadStore.js';
import { createTenant, listTenants, securityReport, setupRoles } from '../../src/admin/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { listAll, makeThread, newId } from '../contract/helpers.js';
import { APP_ROLE, asAppRole, expectEveryTableSeeded, ownerCount, schemaRelations, seedTenant, sqlStateOf } from './helpers.js';

const INSUFFICIENT_PRIVILEGE = '42501';

describe('application role and row-level security', () => {
  let test: TestDatabase;
  let owner: Database;
  let service: PostgresThreadStoreService;
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  let seedA: { threads: string[]; live: string };

  beforeAll(async () => {
    test = await createTestDatabase();
    owner = await test.openOwner();
    service = await test.openStore();
    seedA = await seedTenant(owner, service.forTenant(tenantA), 'alpha');
    await seedTenant(owner, service.forTenant(tenantB), 'bravo');
  });

  afterAll(async () => {
    await service?.close();
    await test?.drop();
  });

  it('the catalog: the app role is no superuser, has no BYPASSRLS, owns nothing; every table and partition forces RLS under a tenant policy', async () => {
    const report = await securityReport(owner);
    expect(report.app).toMatchObject({ role: APP_ROLE, exists: true, superuser: false, bypassRls: false, canLogin: false, owns: [], memberOfOwner: false });
    expect(report.tablesWithoutForcedRls).toEqual([]);
    expect(report.tablesWithoutTenantPolicy).toEqual([]);
    expect(report.unexpectedPolicies).toEqual([]);
    expect(report.viewsWithoutSecurityInvoker).toEqual([]);
    expect(report.securityDefinerFunctions).toEqual([]);
    expect(report.sound).toBe(true);
    // Spelled out for the reader: each policy is FOR ALL (SELECT, INSERT, UPDATE, DELETE) with both clauses.
    const policies = await owner.withSession(async (s) =>
      (
        await s.query<{ tablename: string; cmd: string; qual: string | null; with_check: string | null }>(
          `SELECT tablename, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'thread_store' AND policyname = 'tenant_isolation' ORDER BY 1`,
        )
      ).rows,
    );
    const relations = await schemaRelations(owner);
    const tables = relations.filter((r) => r.kind !== 'view').map((r) => r.name);
    expect(policies.map((p) => p.tablename).sort()).toEqual([...tables].sort());
    expect(tables.filter((t) => t.startsWith('thread_items_p'))).toHaveLength(16);
    for (const p of policies) {
      expect(p.cmd, p.tablename).toBe('ALL');
      // The scope's tenants, read once per statement (an InitPlan), compared with every row.
      expect(p.qual, p.tablename).toMatch(/tenant_id = ANY \(\(\(SELECT current_tenant_ids\(\) AS current_tenant_ids\)\)::uuid\[\]\)|id = ANY/);
      // Rows are written only under a tenant of the scope (tenants: only the scope's single tenant registers itself).
      expect(p.with_check, p.tablename).toMatch(p.tablename === 'tenants' ? /^\(id = (thread_store\.)?current_tenant_id\(\)\)$/ : /current_tenant_ids\(\)/);
    }
  });

  it('the seed put rows of both tenants into every table', async () => {
    await expectEveryTableSeeded(owner, tenantA);
    await expectEveryTableSeeded(owner, tenantB);
  });

  it('without the tenant setting the app role reads 0 rows from every table, partition and view (fail closed)', async () => {
    const relations = await schemaRelations(owner);
    expect(relations.length).toBeGreaterThan(20);
    let nonEmptyForOwner = 0;
    for (const r of relations) {
      const seen = await asAppRole(owner, async (s) => Number((await s.query<{ n: unknown }>(`SELECT count(*) AS n FROM thread_store.${r.name}`)).rows[0]!.n));
      expect(seen, r.name).toBe(0);
      if (r.kind !== 'view' && (await ownerCount(owner, r.name)) > 0) nonEmptyForOwner++;
    }
    expect(nonEmptyForOwner).toBeGreaterThanOrEqual(8);
    // Calling the functions without a tenant reads nothing either.
    const tail = await asAppRole(owner, async (s) => (await s.query(`SELECT * FROM thread_store.threads WHERE id = ANY($1::uuid[])`, [seedA.threads])).rows);
    expect(tail).toEqual([]);
  });

  it('without the tenant setting every insert is refused (42501) and updates and deletes touch nothing', async () => {
    const [{ part, thread_id: itemThread }] = await owner.withSession(async (s) =>
      (await s.query<{ part: string; thread_id: string }>(`SELECT tableoid::regclass::text AS part, thread_id FROM thread_store.thread_items WHERE tenant_id = $1 LIMIT 1`, [tenantA])).rows,
    );
    const partition = part.replace(/^thread_store\./, '').replace(/"/g, '');
    const inserts: [string, string, unknown[]][] = [
      ['threads', `INSERT INTO thread_store.threads (tenant_id, id, created_at, updated_at, recency_at) VALUES ($1, $2, now(), now(), now())`, [tenantA, newId()]],
      ['thread_items', `INSERT INTO thread_store.thread_items (tenant_id, thread_id, seq, type, ts, payload, byte_size) VALUES ($1, $2, 999999, 'x', 't', '{}', 2)`, [tenantA, itemThread]],
      [partition, `INSERT INTO thread_store.${partition} (tenant_id, thread_id, seq, type, ts, payload, byte_size) VALUES ($1, $2, 999999, 'x', 't', '{}', 2)`, [tenantA, itemThread]],
      ['thread_checkpoints', `INSERT INTO thread_store.thread_checkpoints (tenant_id, thread_id, seq, summary_length, created_at) VALUES ($1, $2, 999999, 1, now())`, [tenantA, itemThread]],
      ['thread_spawn_edges', `INSERT INTO thread_store.thread_spawn_edges (tenant_id, parent_thread_id, child_thread_id) VALUES ($1, $2, $3)`, [tenantA, itemThread, newId()]],
      ['thread_writers', `INSERT INTO thread_store.thread_writers (tenant_id, thread_id, epoch, owner) VALUES ($1, $2, 1, 'intruder')`, [tenantA, newId()]],
      ['tenant_clocks', `INSERT INTO thread_store.tenant_clocks (tenant_id, last_ms) VALUES ($1, 1)`, [randomUUID()]],
      ['tenants', `INSERT INTO thread_store.tenants (id, name) VALUES ($1, $2)`, [randomUUID(), `intruder ${newId()}`]],
    ];
    for (const [table, sql, params] of inserts) {
      expect(await sqlStateOf(asAppRole(owner, (s) => s.query(sql, params))), `insert into ${table}`).toBe(INSUFFICIENT_PRIVILEGE);
    }
    for (const table of ['threads', 'thread_items', partition, 'thread_checkpoints', 'thread_spawn_edges', 'thread_writers', 'tenant_clocks']) {
      const updated = await asAppRole(owner, async (s) => (await s.query(`UPDATE thread_store.${table} SET tenant_id = tenant_id WHERE tenant_id = $1`, [tenantA])).rowCount);
      const deleted = await asAppRole(owner, async (s) => (await s.query(`DELETE FROM thread_store.${table} WHERE tenant_id = $1`, [tenantA])).rowCount);
      expect([table, updated, deleted]).toEqual([table, 0, 0]);
    }
    expect(await asAppRole(owner, async (s) => (await s.query(`DELETE FROM thread_store.tenants`)).rowCount)).toBe(0);
    // The store functions run as the caller: without a tenant they cannot write either.
    expect(await sqlStateOf(asAppRole(owner, (s) => s.query(`SELECT thread_store.allocate_timestamp($1, now())`, [randomUUID()])))).toBe(INSUFFICIENT_PRIVILEGE);
    await expectEveryTableSeeded(owner, tenantA);
  });

  it("with tenant A set, B's rows stay invisible even when named, and no row can be written or moved into B", async () => {
    const seenB = await asAppRole(
      owner,
      async (s) => {
        const threads = Number((await s.query<{ n: unknown }>(`SELECT count(*) AS n FROM thread_store.threads WHERE tenant_id = $1`, [tenantB])).rows[0]!.n);
        const items = Number((await s.query<{ n: unknown }>(`SELECT count(*) AS n FROM thread_store.thread_items WHERE tenant_id <> $1`, [tenantA])).rows[0]!.n);
        const tenants = (await s.query<{ id: string }>(`SELECT id FROM thread_store.tenants`)).rows.map((r) => r.id);
        return { threads, items, tenants };
      },
      tenantA,
    );
    expect(seenB).toEqual({ threads: 0, items: 0, tenants: [tenantA] });
    const insertIntoB = asAppRole(
      owner,
      (s) => s.query(`INSERT INTO thread_store.threads (tenant_id, id, created_at, updated_at, recency_at) VALUES ($1, $2, now(), now(), now())`, [tenantB, newId()]),
      tenantA,
    );
    expect(await sqlStateOf(insertIntoB)).toBe(INSUFFICIENT_PRIVILEGE);
    const moveToB = asAppRole(owner, (s) => s.query(`UPDATE thread_store.threads SET tenant_id = $1 WHERE tenant_id = $2`, [tenantB, tenantA]), tenantA);
    expect(await sqlStateOf(moveToB)).toBe(INSUFFICIENT_PRIVILEGE);
    const moveItems = asAppRole(owner, (s) => s.query(`UPDATE thread_store.thread_items SET tenant_id = $1 WHERE tenant_id = $2`, [tenantB, tenantA]), tenantA);
    expect(await sqlStateOf(moveItems)).toBe(INSUFFICIENT_PRIVILEGE);
  });

  it('the app role cannot switch RLS off, truncate, alter, or create objects', async () => {
    const attempts: [string, string][] = [
      ['truncate', 'TRUNCATE thread_store.thread_items'],
      ['disable rls', 'ALTER TABLE thread_store.threads DISABLE ROW LEVEL SECURITY'],
      ['no force rls', 'ALTER TABLE thread_store.threads NO FORCE ROW LEVEL SECURITY'],
      ['drop policy', 'DROP POLICY tenant_isolation ON thread_store.threads'],
      ['permissive policy', 'CREATE POLICY open ON thread_store.threads USING (true)'],
      ['create table', 'CREATE TABLE thread_store.stash (x int)'],
      ['replace function', `CREATE OR REPLACE FUNCTION thread_store.current_tenant_id() RETURNS uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$`],
      ['take ownership', `ALTER TABLE thread_store.threads OWNER TO ${APP_ROLE}`],
      ['security definer', `CREATE FUNCTION thread_store.peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM thread_store.threads $$`],
    ];
    for (const [what, sql] of attempts) {
      expect(await sqlStateOf(asAppRole(owner, (s) => s.query(sql))), what).toBe(INSUFFICIENT_PRIVILEGE);
    }
    // row_security = off does not turn policies off for a role without BYPASSRLS: the query fails.
    const offState = await sqlStateOf(
      asAppRole(owner, async (s) => {
        await s.query('SET LOCAL row_security = off');
        return s.query('SELECT count(*) FROM thread_store.threads');
      }),
    );
    expect(offState).toBe(INSUFFICIENT_PRIVILEGE);
  });

  it('the tenant setting never outlives a store transaction: a pooled connection afterwards sees nothing', async () => {
    const store = service.forTenant(tenantA);
    await makeThread(store);
    await listAll(store);
    await store.readThread({ threadId: seedA.threads[0]! });
    // service.database runs as the app role; withSession hands out pooled connections.
    for (let i = 0; i < 4; i++) {
      const leaked = await service.database.withSession(async (s) => {
        const setting = (await s.query<{ v: string | null }>(`SELECT current_setting('thread_store.tenant_id', true) AS v`)).rows[0]!.v;
        const rows = Number((await s.query<{ n: unknown }>('SELECT count(*) AS n FROM thread_store.threads')).rows[0]!.n);
        const user = (await s.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
        return { setting: setting ?? '', rows, user };
      });
      expect(leaked).toEqual({ setting: '', rows: 0, user: APP_ROLE });
    }
  });

  describe.skipIf(inject('serverUrl') === null)('as LOGIN users (PostgreSQL server only: PGlite has a single built-in user)', () => {
    const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
    const appLogin = `ts_app_${suffix}`;
    const ownerRole = `ts_owner_${suffix}`;
    const ownerLogin = `ts_migrator_${suffix}`;
    const appLogin2 = `ts_app2_${suffix}`;
    const rolesDb = `ts_roles_${suffix}`;
    const serverUrl = () => inject('serverUrl')!;
    const asUser = (url: string, user: string, database?: string) => {
      const u = new URL(url);
      u.username = user;
      u.password = '';
      if (database) u.pathname = `/${database}`;
      return u.toString();
    };
    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: serverUrl() });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    };

    // biome-ignore lint/suspicious/noDuplicateTestHooks: this hook belongs to the nested describe.skipIf block, whose call form Biome does not recognise as a scope
    afterAll(async () => {
      await admin(`DROP DATABASE IF EXISTS ${rolesDb} WITH (FORCE)`).catch(() => {});
      for (const role of [appLogin, appLogin2, ownerLogin, ownerRole]) await admin(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    });

    it('a LOGIN member of thread_store_app opens the store with migrate: false (and with the default) and is confined by RLS', async () => {
      await admin(`CREATE ROLE ${appLogin} LOGIN IN ROLE ${APP_ROLE}`);
      const url = asUser(test.url!, appLogin);
      for (const migrateOption of [false, undefined]) {
        const svc = await openThreadStore({ url, ...(migrateOption === false ? { migrate: false } : {}), maxConnections: 2 });
        try {
          const store = svc.forTenant(tenantA);
          const id = await makeThread(store);
          expect((await store.readThread({ threadId: id })).threadId).toBe(id);
          expect(await svc.forTenant(tenantB).readThread({ threadId: id }).catch((e: { code: string }) => e.code)).toBe('ThreadNotFound');
          const me = await svc.database.withSession(async (s) => (await s.query<{ u: string; s: string }>('SELECT current_user AS u, session_user AS s')).rows[0]!);
          expect(me).toEqual({ u: APP_ROLE, s: appLogin });
        } finally {
          await svc.close();
        }
      }
      const raw = new pg.Client({ connectionString: url });
      await raw.connect();
      try {
        for (const sql of ['SET ROLE postgres', 'CREATE SCHEMA sneaky', 'CREATE TABLE thread_store.stash (x int)', 'ALTER TABLE thread_store.threads DISABLE ROW LEVEL SECURITY']) {
          expect(await sqlStateOf(raw.query(sql)), sql).toBe(INSUFFICIENT_PRIVILEGE);
        }
        expect((await raw.query('SELECT count(*)::int AS n FROM thread_store.thread_items')).rows[0].n).toBe(0);
      } finally {
        await raw.end();
      }
    });

    it('a schema that is behind is refused with a clear message (the app role cannot migrate)', async () => {
      const url = asUser(test.url!, appLogin);
      const [last] = await owner.withSession(async (s) => (await s.query<{ idx: number; tag: string; hash: string }>('SELECT idx, tag, hash FROM thread_store_meta.migrations ORDER BY idx DESC LIMIT 1')).rows);
      await owner.withSession((s) => s.query('DELETE FROM thread_store_meta.migrations WHERE idx = $1', [last!.idx]));
      try {
        for (const options of [{ migrate: false }, {}]) {
          const error = await openThreadStore({ url, maxConnections: 1, ...options }).then(
            async (svc) => {
              await svc.close();
              return null;
            },
            (e: Error) => e,
          );
          expect(error?.message).toMatch(/schema is behind/);
          expect(error?.message).toContain(last!.tag);
          expect(error?.message).toMatch(/thread-store migrate/);
        }
      } finally {
        await owner.withSession((s) => s.query('INSERT INTO thread_store_meta.migrations (idx, tag, hash) VALUES ($1, $2, $3)', [last!.idx, last!.tag, last!.hash]));
      }
    });

    it('setup-roles: the owner login migrates an empty database, the app login runs the store, nothing is owned by the app', async () => {
      await admin(`CREATE DATABASE ${rolesDb}`);
      const superDb = openPostgresDatabase({ url: asUser(serverUrl(), new URL(serverUrl()).username || 'postgres', rolesDb), maxConnections: 1 });
      try {
        const result = await setupRoles(superDb, { ownerRole, ownerLogin: { name: ownerLogin }, appLogin: { name: appLogin2, password: 'not-shown' } });
        expect(result.statements.join('\n')).not.toContain('not-shown');
        expect(result.statements.some((s) => s.startsWith(`CREATE ROLE "${ownerRole}" NOLOGIN`))).toBe(true);
      } finally {
        await superDb.close();
      }
      // The owner login migrates (its sessions run as the owner role, so the owner role owns everything).
      const ownerDb = openPostgresDatabase({ url: asUser(serverUrl(), ownerLogin, rolesDb), maxConnections: 1 });
      try {
        const migrated = await migrate(ownerDb);
        expect(migrated.applied.length).toBeGreaterThan(3);
        const owners = await ownerDb.withSession(async (s) =>
          (await s.query<{ o: string }>(`SELECT DISTINCT pg_get_userbyid(c.relowner) AS o FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'thread_store'`)).rows.map((r) => r.o),
        );
        expect(owners).toEqual([ownerRole]);
        const report = await securityReport(ownerDb);
        expect(report.sound, JSON.stringify(report)).toBe(true);
        await createTenant(ownerDb, { name: `owner-made ${suffix}` });
      } finally {
        await ownerDb.close();
      }
      const svc = await openThreadStore({ url: asUser(serverUrl(), appLogin2, rolesDb), migrate: false, maxConnections: 2 });
      try {
        const tenant = await createTenant(svc.database, { name: `app-made ${suffix}` });
        const id = await makeThread(svc.forTenant(tenant.id));
        expect((await svc.forTenant(tenant.id).readThread({ threadId: id })).threadId).toBe(id);
        // The app may not list tenants; the owner may (migration 0005), and still sees no threads without a tenant.
        await expect(listTenants(svc.database)).rejects.toThrow(/owns thread_store.tenants/);
      } finally {
        await svc.close();
      }
      const ownerAgain = openPostgresDatabase({ url: asUser(serverUrl(), ownerLogin, rolesDb), maxConnections: 1 });
      try {
        expect((await listTenants(ownerAgain)).map((t) => t.name).sort()).toEqual([`app-made ${suffix}`, `owner-made ${suffix}`]);
        const ownerSees = await ownerAgain.withSession(async (s) => (await s.query<{ n: number }>('SELECT count(*)::int AS n FROM thread_store.threads')).rows[0]!.n);
        expect(ownerSees).toBe(0); // FORCE ROW LEVEL SECURITY: the owner obeys too
      } finally {
        await ownerAgain.close();
      }
    });
  });
});
