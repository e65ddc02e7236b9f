// List at scale (issue #9): 1,000,000 threads over 1,000 tenants, generated in the database with
// generate_series (one INSERT … SELECT, not one call per thread). One big tenant holds 100,000
// threads so that page 1,000 exists (50 per page); the other 999 tenants share the rest. 3% of
// threads are archived and 2% have no preview (hidden from default listings), so the partial
// indexes are exercised as in production.
//
// For every sort key (created_at, updated_at, recency_at), page 1 and page 1,000 of the big tenant
// through ThreadStore.listThreads, against the raw keyset query on a bare pg connection in the same
// run: the same predicates, written so PostgreSQL walks the partial index of the sort key
// (`ORDER BY <key> DESC NULLS LAST, id DESC NULLS LAST`, the indexes' declared order) and stops
// after 51 rows. The EXPLAIN of both is printed. The store runs as the connecting owner (role: null, no
// RLS) and, reported separately, as the application role with row-level security on.
// Targets: store ≤ 1.5× raw, and page 1,000 as fast as page 1 (keyset pagination never OFFSETs).
//
// Usage: npm run bench -- list [--json] [--threads 1000000] [--tenants 1000]
import { loadavg } from 'node:os';
import { encodeThreadCursor } from '../src/store/postgres/listThreads.js';
import { openThreadStore } from '../src/store/openThreadStore.js';
import type { ThreadSortKey } from '../src/model/params.js';
import { benchArgs, benchCommand, createBenchDatabase, formatRatio, measure, printResult, renderTable, type BenchResult } from './lib/harness.js';

const args = benchArgs();
const json = args.flag('--json');
const THREADS = args.number('--threads', 1_000_000);
const TENANTS = args.number('--tenants', 1_000);
const BIG_TENANT_THREADS = Math.min(100_000, Math.floor(THREADS / 10));
const PAGE_SIZE = 50;
/** Page 1,000 — or the deepest page a smaller run has (visible threads are ~95% of the tenant). */
const DEEP_PAGE = Math.min(1_000, Math.floor((BIG_TENANT_THREADS * 0.9) / PAGE_SIZE));
const SORT_KEYS: ThreadSortKey[] = ['created_at', 'updated_at', 'recency_at'];
const BIG_TENANT = '00000000-0000-7000-8000-000000000000';

const log = (text: string) => {
  if (!json) process.stderr.write(`${text}\n`);
};

/** Tenant n (0 = the big one) as a uuid. */
const tenantSql = (n: string) => `('00000000-0000-7000-8000-' || lpad(to_hex(${n}), 12, '0'))::uuid`;

async function main(): Promise<void> {
  const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
  const bench = await createBenchDatabase('list');
  const owner = await openThreadStore({ url: bench.url, role: null });
  const results: BenchResult[] = [];
  try {
    const t0 = performance.now();
    // Threads 1..BIG go to tenant 0; the others round-robin over tenants 1..TENANTS-1. Times spread
    // over ~30 days in id order with jitter, so the three sort keys order rows differently.
    await bench.raw.query(
      `INSERT INTO thread_store.threads
         (tenant_id, id, source, originator, model_provider, model, cwd, title, preview, first_user_message,
          created_at, updated_at, recency_at, archived_at, item_count, byte_size, last_seq)
       SELECT CASE WHEN g <= $2 THEN ${tenantSql('0')} ELSE ${tenantSql(`1 + (g % ($3 - 1))`)} END,
              gen_random_uuid(),
              (ARRAY['cli', 'vscode', 'exec'])[1 + g % 3], 'codex_cli_rs', (ARRAY['openai', 'azure'])[1 + g % 2], 'gpt-5', '/work/p' || (g % 7),
              'thread ' || g,
              CASE WHEN g % 50 = 0 THEN '' ELSE 'question number ' || g END,
              'question number ' || g,
              c, c + u, c + u - r,
              CASE WHEN g % 33 = 0 THEN c + u ELSE NULL END,
              10, 10000, 9
         FROM generate_series(1, $1) AS g,
              LATERAL (SELECT timestamptz '2026-10-01' + (g * interval '2.5 seconds') + (random() * interval '10 minutes') AS c,
                              random() * interval '3 days' AS u,
                              random() * interval '1 hour' AS r) AS t`,
      [THREADS, BIG_TENANT_THREADS, TENANTS],
    );
    await bench.raw.query('VACUUM ANALYZE thread_store.threads');
    const { rows: counts } = await bench.raw.query<{ n: string; big: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE tenant_id = $1) AS big FROM thread_store.threads`,
      [BIG_TENANT],
    );
    log(`generated ${counts[0]!.n} threads (${counts[0]!.big} in the big tenant, ${TENANTS} tenants) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const rls = await openThreadStore({ url: bench.url });
    try {
      const ownerStore = owner.forTenant(BIG_TENANT);
      const rlsStore = rls.forTenant(BIG_TENANT);
      for (const sortKey of SORT_KEYS) {
        for (const page of [1, DEEP_PAGE]) {
          // The cursor of page `page` is the key of the last row of page `page - 1`.
          let cursor: string | null = null;
          let after: { ts: string; id: string } | null = null;
          if (page > 1) {
            const { rows } = await bench.raw.query<{ ts: Date; id: string }>(
              `SELECT ${sortKey} AS ts, id FROM thread_store.threads
                WHERE tenant_id = $1 AND archived_at IS NULL AND preview <> ''
                ORDER BY ${sortKey} DESC NULLS LAST, id DESC NULLS LAST OFFSET $2 LIMIT 1`,
              [BIG_TENANT, (page - 1) * PAGE_SIZE - 1],
            );
            const row = rows[0]!;
            after = { ts: row.ts.toISOString(), id: row.id };
            const at = after.ts;
            cursor = encodeThreadCursor('threads', { createdAt: at, updatedAt: at, recencyAt: at, threadId: row.id }, sortKey);
          }
          const raw = () =>
            bench.raw.query(
              `SELECT t.* FROM thread_store.threads t
                WHERE t.tenant_id = $1 AND t.archived_at IS NULL AND t.preview <> ''${after ? ` AND (t.${sortKey}, t.id) < ($3::timestamptz, $4::uuid)` : ''}
                ORDER BY t.${sortKey} DESC NULLS LAST, t.id DESC NULLS LAST LIMIT $2::int`,
              after ? [BIG_TENANT, PAGE_SIZE + 1, after.ts, after.id] : [BIG_TENANT, PAGE_SIZE + 1],
            );
          const viaStore = (store: typeof ownerStore) => () => store.listThreads({ sortKey, pageSize: PAGE_SIZE, cursor });
          // Same rows both ways.
          const [a, b] = await Promise.all([raw(), viaStore(ownerStore)()]);
          const rawIds = a.rows.slice(0, PAGE_SIZE).map((r) => (r as { id: string }).id);
          if (JSON.stringify(rawIds) !== JSON.stringify(b.items.map((t) => t.threadId))) throw new Error(`store and raw pages differ (${sortKey}, page ${page})`);

          const mRaw = await measure(raw, { warmup: 10, runs: 50 });
          const mStore = await measure(viaStore(ownerStore), { warmup: 10, runs: 50 });
          const mRls = await measure(viaStore(rlsStore), { warmup: 10, runs: 50 });
          const result: BenchResult = {
            bench: 'list',
            sort_key: sortKey,
            page,
            page_size: PAGE_SIZE,
            tenant_threads: Number(counts[0]!.big),
            total_threads: Number(counts[0]!.n),
            ratio_vs_raw: mStore.median / mRaw.median,
            ratio_rls_vs_raw: mRls.median / mRaw.median,
            ms: mStore.median,
            spread_ms: mStore.spread,
            rls_ms: mRls.median,
            rls_spread_ms: mRls.spread,
            raw_ms: mRaw.median,
            raw_spread_ms: mRaw.spread,
          };
          results.push(result);
          if (json) printResult(result, true, []);
          log(`list ${sortKey.padEnd(10)} page ${String(page).padStart(4)}: store ${mStore.median.toFixed(2)} ms, rls ${mRls.median.toFixed(2)} ms, raw ${mRaw.median.toFixed(2)} ms`);
        }
      }
      // EXPLAIN of page 1 by updated_at, as listThreads orders it and as the index is declared.
      for (const order of ['DESC, t.id DESC', 'DESC NULLS LAST, t.id DESC NULLS LAST']) {
        const { rows: plan } = await bench.raw.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) SELECT t.* FROM thread_store.threads t
            WHERE t.tenant_id = $1 AND t.archived_at IS NULL AND t.preview <> '' ORDER BY t.updated_at ${order} LIMIT 51`,
          [BIG_TENANT],
        );
        log(`ORDER BY t.updated_at ${order}:\n${plan.map((r) => `  ${r['QUERY PLAN']}`).join('\n')}`);
      }
    } finally {
      await rls.close();
    }
  } finally {
    await owner.close();
  }

  if (!json) {
    const rows = results.map((r) => {
      const depth = results.find((o) => o.sort_key === r.sort_key && o.page === 1)!;
      return [
        `${r.sort_key} page ${r.page}`,
        formatRatio(r.ratio_vs_raw as number),
        formatRatio(r.ratio_rls_vs_raw as number),
        formatRatio((r.ms as number) / (depth.ms as number)),
        `${(r.ms as number).toFixed(2)} ±${(r.spread_ms as number).toFixed(2)}`,
        `${(r.rls_ms as number).toFixed(2)} ±${(r.rls_spread_ms as number).toFixed(2)}`,
        `${(r.raw_ms as number).toFixed(2)} ±${(r.raw_spread_ms as number).toFixed(2)}`,
      ];
    });
    process.stdout.write(
      `\nlist — ${THREADS.toLocaleString('en-US')} threads over ${TENANTS.toLocaleString('en-US')} tenants; pages of ${PAGE_SIZE} of a ${BIG_TENANT_THREADS.toLocaleString('en-US')}-thread tenant\nratios first (target: store ≤ 1.5× raw; page ${DEEP_PAGE} ≈ page 1)\n\n`,
    );
    process.stdout.write(renderTable(['sort key / page', 'store/raw', 'RLS/raw', 'vs page 1', 'store ms', 'store+RLS ms', 'raw ms'], rows));
    process.stdout.write(`\ncommand: ${benchCommand('list')}\n`);
  }
  await bench.drop(results, {
    load_average_1m_at_start: loadAtStart,
    parameters: { threads: THREADS, tenants: TENANTS, big_tenant_threads: BIG_TENANT_THREADS, page_size: PAGE_SIZE, deep_page: DEEP_PAGE },
  });
}

await main();
