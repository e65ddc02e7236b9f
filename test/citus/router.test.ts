// On a distributed (Citus) database, the hot statements of one tenant — the group-commit batch of an
// append, listThreads, searchThreads, the newest items of a thread, and resume (reconstructHistory) — are each a
// single-shard router query: the store's own SQL, captured as it is sent, EXPLAINed as the
// application role inside the tenant's scope, shows one Citus task on the worker that holds the
// tenant's shard, no sub-plans and nothing pulled through the coordinator. And tenants spread over
// both workers. Runs in the Citus suite only (vitest.citus.config.ts).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPostgresDatabase, type Database, type PipelineStep, type QueryResult, type SqlExecutor } from '../../src/db/database.js';
import { createService, type PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { createParams, message, turnLines } from '../contract/helpers.js';

const CITUS = inject('citusUrl');

interface Sent {
  operation: string;
  text: string;
  params: readonly unknown[];
}

/** `db`, recording every statement the store sends through it (pipelines, tenant queries, transactions). */
function recording(db: Database, sent: Sent[]): Database {
  const record = (operation: string, steps: readonly PipelineStep[]) => {
    for (const step of steps) sent.push({ operation, text: step.statement.text, params: step.params });
  };
  const wrapTx = (tx: SqlExecutor, operation: string): SqlExecutor => ({
    query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      sent.push({ operation, text, params: params ?? [] });
      return tx.query<R>(text, params);
    },
  });
  return {
    kind: db.kind,
    location: db.location,
    transaction: (fn, options) => db.transaction((tx) => fn(wrapTx(tx, options?.operation ?? 'transaction')), options),
    pipeline: (scope, steps, operation) => {
      record(operation, steps);
      return db.pipeline(scope, steps, operation);
    },
    tenantQuery: (tenantId, statement, params, operation) => {
      record(operation, [{ statement, params }]);
      return db.tenantQuery(tenantId, statement, params, operation);
    },
    withSession: (fn) => db.withSession(fn),
    useRole: (role) => db.useRole(role),
    layout: () => db.layout(),
    close: () => db.close(),
  };
}

const TABLE = /thread_store\.(threads|thread_items|thread_checkpoints|thread_search|thread_writers|thread_spawn_edges|tenant_clocks)\b/;

describe.skipIf(!CITUS)('Citus: one tenant, one shard (EXPLAIN of the store’s own statements)', () => {
  let db: Database;
  let owner: Database;
  let service: PostgresThreadStoreService;
  const sent: Sent[] = [];

  beforeAll(async () => {
    db = openPostgresDatabase({ url: CITUS!, maxConnections: 4 });
    await db.useRole('thread_store_app');
    owner = openPostgresDatabase({ url: CITUS!, maxConnections: 2 });
    service = createService(recording(db, sent));
  });

  afterAll(async () => {
    await service?.close(); // closes db too
    await owner?.close();
  });

  /** The worker port that holds `tenant`'s shard of the co-location group. */
  async function workerOf(tenant: string): Promise<number> {
    const { rows } = await owner.withSession((s) =>
      s.query<{ port: number }>(
        `SELECT n.nodeport AS port FROM pg_dist_placement p JOIN pg_dist_node n ON n.groupid = p.groupid
          WHERE p.shardid = get_shard_id_for_distribution_column('thread_store.threads', $1::uuid)`,
        [tenant],
      ),
    );
    expect(rows).toHaveLength(1);
    return rows[0]!.port;
  }

  /** EXPLAIN `s` as the application role in `tenant`'s scope (EXPLAIN without ANALYZE writes nothing). */
  async function planOf(tenant: string, s: Sent): Promise<string> {
    return db.transaction(
      async (tx) => (await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${s.text}`, s.params)).rows.map((r) => r['QUERY PLAN']).join('\n'),
      { tenantId: tenant },
    );
  }

  it('append batch, list, newest items and resume are each single-task router queries on the tenant’s worker', async () => {
    const tenant = randomUUID();
    const store = service.forTenant(tenant);
    const threadId = randomUUID();
    await store.createThread(createParams(threadId, { metadata: { cwd: '/w', modelProvider: 'openai' } }));
    await store.appendItems({ threadId, items: turnLines(randomUUID(), 'hello there') });
    await store.appendItems({ threadId, items: [message('user', 'and again')] });
    await store.listThreads({ pageSize: 10 });
    await store.searchThreads({ searchTerm: 'hello', pageSize: 10 });
    await store.listItems({ threadId, sortDirection: 'desc', pageSize: 10 });
    await store.reconstructHistory({ threadId });
    const port = await workerOf(tenant);

    const hot = new Map<string, Sent[]>();
    for (const s of sent) {
      if (!TABLE.test(s.text)) continue; // statements that read no distributed table (the scope, the clock's SELECT)
      hot.set(s.operation, [...(hot.get(s.operation) ?? []), s]);
    }
    const operations = ['appendItems', 'listThreads', 'searchThreads', 'listItems', 'reconstructHistory'];
    for (const operation of operations) {
      expect(hot.get(operation)?.length ?? 0, `statements of ${operation}`).toBeGreaterThan(0);
    }
    const checked: string[] = [];
    for (const operation of operations) {
      for (const s of hot.get(operation)!) {
        const plan = await planOf(tenant, s);
        const what = `${operation}: ${s.text.replace(/\s+/g, ' ').slice(0, 120)}\n${plan}`;
        expect(plan, what).toMatch(/Custom Scan \(Citus Adaptive\)/);
        expect(plan.match(/Task Count: (\d+)/g), what).toEqual(['Task Count: 1']);
        expect(plan, what).not.toMatch(/Distributed Subplan|pull to coordinator|repartition/i);
        const nodes = [...plan.matchAll(/Node: host=\S+ port=(\d+)/g)].map((m) => Number(m[1]));
        expect(nodes, what).toEqual([port]);
        checked.push(operation);
      }
    }
    process.stdout.write(`[citus router] checked: ${JSON.stringify(Object.fromEntries([...new Set(checked)].map((o) => [o, checked.filter((c) => c === o).length])))}\n`);
    // The batch is more than one statement (fence, items, …): every one of them was checked.
    expect(checked.filter((o) => o === 'appendItems').length).toBeGreaterThanOrEqual(2);
  });

  it('tenants spread over both workers, and each tenant’s rows sit on its worker only', async () => {
    const tenants = Array.from({ length: 16 }, () => randomUUID());
    for (const tenant of tenants) {
      const threadId = randomUUID();
      const store = service.forTenant(tenant);
      await store.createThread(createParams(threadId));
      await store.appendItems({ threadId, items: [message('user', `hi ${tenant}`)] });
    }
    const ports = await Promise.all(tenants.map(workerOf));
    const workers = await owner.withSession((s) => s.query<{ port: number }>(`SELECT nodeport AS port FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0 ORDER BY 1`));
    expect(workers.rows.length).toBe(2);
    expect(new Set(ports)).toEqual(new Set(workers.rows.map((r) => r.port)));
    // Straight from every shard placement (run as the owner): which tenants' items each one holds.
    const { rows } = await owner.withSession((s) =>
      s.query<{ port: number; result: string }>(
        `SELECT nodeport AS port, result FROM run_command_on_placements('thread_store.thread_items',
           $$SELECT coalesce(string_agg(DISTINCT tenant_id::text, ','), '') FROM %s$$)`,
      ),
    );
    const heldOn = new Map<string, Set<number>>();
    for (const { port, result } of rows) {
      for (const tenant of result.split(',').filter((t) => t !== '')) heldOn.set(tenant, (heldOn.get(tenant) ?? new Set()).add(port));
    }
    for (const [k, tenant] of tenants.entries()) expect([...(heldOn.get(tenant) ?? [])]).toEqual([ports[k]]);
  });
});
