// The default list queries are served by an index on a tenant with ≥ 10k threads: the plan of the
// exact SQL listThreads sends (captured, then EXPLAINed as the app role under RLS) has no Seq Scan
// on threads, for every sort key, both directions, page 1 and a deep page.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, NamedStatement } from '../../src/db/database.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { listThreads } from '../../src/store/postgres/listThreads.js';
import type { ListThreadsParams } from '../../src/model/params.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let test: TestDatabase;
let owner: Database;
let service: PostgresThreadStoreService;
const tenant = randomUUID();

beforeAll(async () => {
  test = await createTestDatabase();
  owner = await test.openOwner();
  // 10k threads for our tenant and 10k for four others, generated in SQL.
  for (const t of [tenant, randomUUID(), randomUUID(), randomUUID(), randomUUID()]) {
    await owner.transaction(
      (tx) =>
        tx.query(
          `INSERT INTO thread_store.threads (tenant_id, id, preview, model_provider, cwd, source, created_at, updated_at, recency_at, archived_at)
           SELECT $1, gen_random_uuid(), CASE WHEN g % 10 = 0 THEN '' ELSE 'p' || g END, 'prov' || (g % 3), '/w' || (g % 7), 'cli',
                  now() - g * interval '1 second', now() - g * interval '2 second', now() - g * interval '3 second',
                  CASE WHEN g % 20 = 0 THEN now() END
             FROM generate_series(1, 10000) g`,
          [t],
        ),
      { tenantId: t },
    );
  }
  await owner.withSession((s) => s.query('ANALYZE thread_store.threads'));
  service = await test.openStore();
}, 120_000);

afterAll(async () => {
  await service.close();
  await test.drop();
});

/** EXPLAIN the statement listThreads issues for `params`, as the app role inside the tenant. */
async function planOf(params: ListThreadsParams): Promise<string> {
  let captured: { text: string; values: readonly unknown[] } | null = null;
  const db = service.database;
  const recorder: Database = Object.assign(Object.create(db) as Database, {
    tenantQuery: <R>(tenantId: string, statement: NamedStatement, values: readonly unknown[], operation: string) => {
      captured = { text: statement.text, values };
      return db.tenantQuery<R>(tenantId, statement, values, operation);
    },
  });
  await listThreads(recorder, tenant, params);
  const { text, values } = captured!;
  return db.transaction(
    async (tx) => JSON.stringify((await tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, values)).rows[0]!['QUERY PLAN']),
    { tenantId: tenant },
  );
}

const SEQ_SCAN_ON_THREADS = /"Node Type":"Seq Scan"[^}]*"Relation Name":"threads"/;
/** The listing must walk one of the per-sort indexes in order: no Sort node on top of it. */
const SORT_NODE = /"Node Type":"(Incremental )?Sort"/;
const SORT_INDEX = /"Index Name":"threads_(archived_)?(created|updated|recency)_idx"/;

describe('listThreads plans', () => {
  it('detects a sequential scan when there is one (control for the assertions below)', async () => {
    // As the owner (no RLS tenant predicate), a filter on an unindexed column must scan the table.
    const plan = await owner.withSession(async (s) =>
      JSON.stringify((await s.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) SELECT * FROM thread_store.threads WHERE title = 'x'`)).rows[0]!['QUERY PLAN']),
    );
    expect(plan).toMatch(SEQ_SCAN_ON_THREADS);
  });

  for (const sortKey of ['created_at', 'updated_at', 'recency_at'] as const) {
    for (const sortDirection of ['desc', 'asc'] as const) {
      it(`uses an index for ${sortKey} ${sortDirection}, page 1 and a deep page`, async () => {
        const store = service.forTenant(tenant);
        let page = await store.listThreads({ sortKey, sortDirection, pageSize: 50 });
        const first = await planOf({ sortKey, sortDirection, pageSize: 50 });
        for (let i = 0; i < 20; i++) page = await store.listThreads({ sortKey, sortDirection, pageSize: 50, cursor: page.nextCursor });
        const deep = await planOf({ sortKey, sortDirection, pageSize: 50, cursor: page.nextCursor });
        for (const plan of [first, deep]) {
          expect(plan).not.toMatch(SEQ_SCAN_ON_THREADS);
          expect(plan).not.toMatch(SORT_NODE);
          expect(plan).toMatch(SORT_INDEX);
        }
      });
    }
  }

  it('uses an index for the archived listing', async () => {
    const plan = await planOf({ archived: true, pageSize: 50 });
    expect(plan).not.toMatch(SEQ_SCAN_ON_THREADS);
    expect(plan).not.toMatch(SORT_NODE);
    expect(plan).toMatch(SORT_INDEX);
  });
});
