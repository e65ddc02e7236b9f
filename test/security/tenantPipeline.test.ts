// Database.pipeline / tenantQuery — statements sent with their tenant scope in one round trip
// (src/db/tenantPipeline.ts) — run as the application role: a statement sees exactly the scope's
// rows (RLS as in a tenant transaction), the setting (and a generic-plan statement's
// plan_cache_mode) does not survive the pipeline on the pooled connection, errors arrive typed and
// leave the connection usable (the named statements stay valid), a pipeline's statements commit or
// roll back together, a scope of several tenants (the group-commit writer's) reads and writes
// exactly those tenants' rows, and many interleaved tenants on a small pool never see each other's
// rows. On PGlite a pipeline is a tenant transaction; the same assertions hold there.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, NamedStatement } from '../../src/db/database.js';
import { assertPipelineSupport } from '../../src/db/tenantPipeline.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { APP_ROLE, seedTenant } from './helpers.js';

const THREAD_IDS: NamedStatement = {
  name: 'test_tenant_query_thread_ids',
  text: 'SELECT tenant_id::text AS tenant, id::text AS id, current_user AS who FROM thread_store.threads ORDER BY id',
};
const ITEMS_OF: NamedStatement = {
  name: 'test_tenant_query_items_of',
  text: 'SELECT count(*)::int AS n FROM thread_store.thread_items WHERE thread_id = $1::uuid',
};
const SETTING: NamedStatement = {
  name: 'test_tenant_query_setting',
  text: `SELECT current_setting('thread_store.tenant_id', true) AS v`,
};
const PLAN_MODE: NamedStatement = {
  name: 'test_tenant_query_plan_mode',
  text: `SELECT current_setting('thread_store.tenant_id', true) AS v, current_setting('plan_cache_mode') AS mode`,
  genericPlan: true,
};

describe('Database.pipeline and tenantQuery (one round trip, application role)', () => {
  let test: TestDatabase;
  let owner: Database;
  let service: PostgresThreadStoreService;
  let app: Database;
  const tenants = [randomUUID(), randomUUID(), randomUUID()];
  const seeded = new Map<string, string[]>();

  beforeAll(async () => {
    test = await createTestDatabase();
    owner = await test.openOwner();
    // A pool of two: every connection serves every tenant many times over.
    service = await test.openStore({ maxConnections: 2 });
    app = service.database;
    for (const [i, tenant] of tenants.entries()) {
      const { threads } = await seedTenant(owner, service.forTenant(tenant), `t${i}`);
      seeded.set(tenant, threads);
    }
  });

  afterAll(async () => {
    await service?.close();
    await test?.drop();
  });

  it("sees exactly the tenant's rows, as the application role", async () => {
    for (const tenant of tenants) {
      const { rows } = await app.tenantQuery<{ tenant: string; id: string; who: string }>(tenant, THREAD_IDS, [], 'test');
      expect(rows.map((r) => r.id)).toEqual([...seeded.get(tenant)!].sort());
      expect(new Set(rows.map((r) => r.tenant))).toEqual(new Set([tenant]));
      expect(new Set(rows.map((r) => r.who))).toEqual(new Set([APP_ROLE]));
    }
    // A tenant that has nothing sees nothing.
    expect((await app.tenantQuery(randomUUID(), THREAD_IDS, [], 'test')).rows).toEqual([]);
  });

  it('leaves no tenant setting behind on the pooled connections', async () => {
    for (const tenant of tenants) {
      expect((await app.tenantQuery<{ v: string }>(tenant, SETTING, [], 'test')).rows[0]!.v).toBe(tenant);
    }
    for (let i = 0; i < 4; i++) {
      const after = await app.withSession(async (s) => ({
        setting: (await s.query<{ v: string | null }>(`SELECT current_setting('thread_store.tenant_id', true) AS v`)).rows[0]!.v ?? '',
        rows: Number((await s.query<{ n: unknown }>('SELECT count(*) AS n FROM thread_store.threads')).rows[0]!.n),
      }));
      expect(after).toEqual({ setting: '', rows: 0 });
    }
  });

  it('a generic-plan statement gets plan_cache_mode for itself only', async () => {
    const [a] = tenants;
    const inside = await Promise.all([0, 1, 2, 3].map(() => app.tenantQuery<{ v: string; mode: string }>(a!, PLAN_MODE, [], 'test')));
    // Embedded, statements are not prepared, so there is no plan cache to steer.
    const mode = test.mode === 'server' ? 'force_generic_plan' : 'auto';
    for (const r of inside) expect(r.rows).toEqual([{ v: a, mode }]);
    // Both kinds of prologue now parsed on the pooled connections; a plain statement sees neither.
    expect((await app.tenantQuery<{ v: string }>(a!, SETTING, [], 'test')).rows[0]!.v).toBe(a);
    for (let i = 0; i < 4; i++) {
      const mode = await app.withSession(async (s) => (await s.query<{ m: string }>(`SELECT current_setting('plan_cache_mode') AS m`)).rows[0]!.m);
      expect(mode).toBe('auto');
    }
  });

  it('reports a failing statement with its code and keeps the connections usable', async () => {
    const [a] = tenants;
    const error = await app.tenantQuery(a!, ITEMS_OF, ['not-a-uuid'], 'itemsOf').then(
      () => null,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(error?.code).toBe('InvalidRequest');
    expect(error?.message).toMatch(/itemsOf: 22P02/);
    // Both pooled connections still run both named statements (set-tenant and this one).
    const thread = seeded.get(a!)![0]!;
    const counts = await Promise.all([0, 1, 2, 3].map(() => app.tenantQuery<{ n: number }>(a!, ITEMS_OF, [thread], 'itemsOf')));
    for (const c of counts) expect(c.rows[0]!.n).toBeGreaterThan(0);
  });

  it('a bad tenant id is refused, not taken as "no tenant"', async () => {
    const error = await app.tenantQuery('nope', THREAD_IDS, [], 'threadIds').then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).toBe('InvalidRequest');
  });

  it('interleaved tenants on a pool of two never see each other (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: tenants.length - 1 }), { minLength: 1, maxLength: 40 }), async (picks) => {
        const results = await Promise.all(picks.map((i) => app.tenantQuery<{ tenant: string; id: string }>(tenants[i]!, THREAD_IDS, [], 'test')));
        results.forEach((r, k) => {
          const tenant = tenants[picks[k]!]!;
          expect(r.rows.map((row) => row.id)).toEqual([...seeded.get(tenant)!].sort());
        });
      }),
      { numRuns: 25 },
    );
  });

  it("a pipeline's statements commit together, or not at all", async () => {
    const [a] = tenants;
    const thread = seeded.get(a!)![0]!;
    const rename: NamedStatement = { name: 'test_pipeline_rename', text: 'UPDATE thread_store.threads SET name = $2 WHERE tenant_id = $1 AND id = $3' };
    const nameOf = async () => (await app.tenantQuery<{ name: string | null }>(a!, { name: 'test_pipeline_name', text: 'SELECT name FROM thread_store.threads WHERE id = $1' }, [thread], 'test')).rows[0]!.name;
    await app.pipeline(a!, [{ statement: rename, params: [a, 'first', thread] }, { statement: ITEMS_OF, params: [thread] }], 'test');
    expect(await nameOf()).toBe('first');
    // The second statement fails: the first one's update is rolled back with it.
    const error = await app
      .pipeline(a!, [{ statement: rename, params: [a, 'second', thread] }, { statement: ITEMS_OF, params: ['not-a-uuid'] }], 'test')
      .then(() => null, (e: unknown) => e as { code?: string });
    expect(error?.code).toBe('InvalidRequest');
    expect(await nameOf()).toBe('first');
  });

  it('a value that cannot be serialized fails the whole pipeline before any of it is sent', async () => {
    const [a] = tenants;
    const thread = seeded.get(a!)![1]!;
    const rename: NamedStatement = { name: 'test_pipeline_rename', text: 'UPDATE thread_store.threads SET name = $2 WHERE tenant_id = $1 AND id = $3' };
    const unserializable = { toPostgres: () => { throw new Error('cannot serialize this'); } };
    const error = await app
      .pipeline(a!, [{ statement: rename, params: [a, 'must not stick', thread] }, { statement: ITEMS_OF, params: [unserializable] }], 'test')
      .then(() => null, (e: unknown) => e as { code?: string; message?: string });
    // On a server pg refuses the value before sending (Internal); embedded, the statement fails (InvalidRequest).
    expect(test.mode === 'server' ? error?.message : error?.code).toMatch(test.mode === 'server' ? /cannot serialize this/ : /InvalidRequest/);
    const { rows } = await app.tenantQuery<{ name: string | null }>(a!, { name: 'test_pipeline_name', text: 'SELECT name FROM thread_store.threads WHERE id = $1' }, [thread], 'test');
    expect(rows[0]!.name).not.toBe('must not stick');
    // The connection is still usable afterwards.
    expect((await app.tenantQuery<{ v: string }>(a!, SETTING, [], 'test')).rows[0]!.v).toBe(a);
  });

  it('a scope of several tenants reads and writes exactly their rows; a row of another tenant is refused', async () => {
    const [a, b, c] = tenants;
    const [result] = await app.pipeline([a!, b!], [{ statement: THREAD_IDS, params: [] }], 'test');
    expect(new Set((result!.rows as { tenant: string }[]).map((r) => r.tenant))).toEqual(new Set([a, b]));
    expect(result!.rows).toHaveLength(seeded.get(a!)!.length + seeded.get(b!)!.length);
    // c's row is invisible even when named, so an update by id touches nothing.
    const cThread = seeded.get(c!)![0]!;
    const [touched] = await app.pipeline([a!, b!], [{ statement: { text: `UPDATE thread_store.threads SET name = 'x' WHERE id = $1` }, params: [cThread] }], 'test');
    expect(touched!.rowCount).toBe(0);
    // Writing a row of c under the scope {a, b} breaks the policy's WITH CHECK (42501).
    const refused = await app
      .pipeline(
        [a!, b!],
        [{ statement: { text: `INSERT INTO thread_store.thread_writers (tenant_id, thread_id, epoch, owner) VALUES ($1, $2, 1, 'intruder')` }, params: [c, randomUUID()] }],
        'test',
      )
      .then(() => null, (e: unknown) => e as { cause?: { code?: string } });
    expect(refused?.cause?.code).toBe('42501');
    // A set is not a single tenant: no tenant registers itself under it (tenants' WITH CHECK).
    const notSingle = await app
      .pipeline([a!, b!], [{ statement: { text: `INSERT INTO thread_store.tenants (id, name) VALUES ($1, $2)` }, params: [a, `t-${randomUUID()}`] }], 'test')
      .then(() => null, (e: unknown) => e as { cause?: { code?: string } });
    expect(notSingle?.cause?.code).toBe('42501');
  });

  it('a pg whose query objects do not run our messages is refused when a store opens, with a clear error', async () => {
    // What a pg release that stopped honouring the Submittable protocol would look like: the query
    // object is acknowledged without its statements ever being sent.
    const ignoring = {
      query(config: { submit?: unknown; handleReadyForQuery?: () => void }) {
        if (typeof config.submit === 'function') {
          setImmediate(() => config.handleReadyForQuery?.());
          return undefined;
        }
        return Promise.resolve({ rows: [{ scope: null }] });
      },
    } as unknown as import('pg').ClientBase;
    await expect(assertPipelineSupport(ignoring)).rejects.toThrow(/^pg-thread-store: the installed pg 8\.\d+\.\d+ does not run tenant pipelines as expected .*use pg 8\.x as pinned in package\.json$/);
  });
});
