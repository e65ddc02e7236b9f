// Evidence for docs/SCALING.md, measured on this machine: a scratch database with the real schema
// (all migrations) and 10,000,000 items in 100,000 threads of 1,000 tenants, generated with
// generate_series; then EXPLAINs and timings for partition pruning, partition sizes, tenant-wide
// and cross-tenant analytics, 1 vs 16 vs 64 hash partitions, transaction-local settings (the
// property PgBouncer's transaction mode needs) and retention by DELETE vs by dropping a partition.
// The database is dropped at the end; the numbers go to bench/results/scaling.json.
//
// Usage: node --import tsx bench/lib/scaling-evidence.ts [--items 10000000] [--keep]
// (DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432/postgres)
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openPostgresDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { benchArgs, createScratchDatabase, machineInfo, summarize, writeResults, type BenchResult } from './harness.js';

const args = benchArgs();
const ITEMS = args.number('--items', 10_000_000);
const ITEMS_PER_THREAD = 100;
const THREADS = ITEMS / ITEMS_PER_THREAD;
const TENANTS = 1_000;
const keep = args.flag('--keep');

const tenantSql = (n: string) => `('00000000-0000-7000-8000-' || lpad(to_hex(${n}), 12, '0'))::uuid`;
const threadSql = (n: string) => `('00000000-0000-4000-8000-' || lpad(to_hex(${n}), 12, '0'))::uuid`;
const TENANT_7 = '00000000-0000-7000-8000-000000000007';
const THREAD_7 = '00000000-0000-4000-8000-000000000007';

const log = (s: string) => process.stderr.write(`${s}\n`);
const report: string[] = [];
const out = (s = '') => {
  report.push(s);
  process.stdout.write(`${s}\n`);
};
const results: BenchResult[] = [];

async function timed<T>(pool: pg.Pool | pg.PoolClient, sql: string, params: unknown[] = []): Promise<{ ms: number; rows: T[] }> {
  const t0 = performance.now();
  const r = await pool.query(sql, params);
  return { ms: performance.now() - t0, rows: r.rows as T[] };
}

async function median(pool: pg.Pool | pg.PoolClient, sql: string, params: unknown[] = [], runs = 15): Promise<number> {
  await pool.query(sql, params);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push((await timed(pool, sql, params)).ms);
  return summarize(samples).median;
}

async function explain(pool: pg.Pool | pg.PoolClient, sql: string, params: unknown[] = []): Promise<string[]> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
  return rows.map((r) => r['QUERY PLAN']);
}

function record(name: string, values: Record<string, string | number | null>): void {
  results.push({ bench: 'scaling', name, ...values });
}

async function generate(pool: pg.Pool): Promise<void> {
  const t0 = performance.now();
  await pool.query(
    `INSERT INTO thread_store.threads (tenant_id, id, source, originator, model_provider, model, cwd, title, preview,
        created_at, updated_at, recency_at, item_count, byte_size, last_seq, tokens_used, forked_from_id, parent_thread_id)
     SELECT ${tenantSql('t % $2')}, ${threadSql('t')}, (ARRAY['cli','vscode','exec'])[1 + t % 3], 'codex_cli_rs',
            (ARRAY['openai','azure'])[1 + t % 2], (ARRAY['gpt-5','gpt-5-mini','o4'])[1 + t % 3], '/work/p' || (t % 7),
            'thread ' || t, 'question ' || t,
            d, d + interval '1 hour', d + interval '50 minutes', $3::int, $3::int * 300, $3::int - 1, 10000,
            CASE WHEN t % 20 = 5 THEN ${threadSql('t - 5')} END, CASE WHEN t % 20 = 7 THEN ${threadSql('t - 7')} END
       FROM generate_series(0, $1 - 1) AS t, LATERAL (SELECT timestamptz '2026-09-01' + (t % 90) * interval '1 day' + (t / 90) * interval '1 second' AS d) AS x`,
    [THREADS, TENANTS, ITEMS_PER_THREAD],
  );
  log(`threads: ${THREADS} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const chunk = Math.max(1, Math.floor(1_000_000 / ITEMS_PER_THREAD));
  for (let from = 0; from < THREADS; from += chunk) {
    const c0 = performance.now();
    await pool.query(
      `INSERT INTO thread_store.thread_items (tenant_id, thread_id, seq, type, subtype, turn_id, ts, payload, byte_size)
       SELECT ${tenantSql('t % $3')}, ${threadSql('t')}, s,
              CASE WHEN s = 0 THEN 'session_meta' WHEN s % 10 IN (1, 9) THEN 'event_msg' WHEN s % 10 = 2 THEN 'turn_context' ELSE 'response_item' END,
              CASE WHEN s = 0 THEN NULL WHEN s % 10 = 1 THEN 'task_started' WHEN s % 10 = 9 THEN 'token_count' WHEN s % 10 = 2 THEN NULL ELSE 'message' END,
              CASE WHEN s = 0 THEN NULL ELSE 'turn-' || t || '-' || (s / 10) END,
              to_char((timestamptz '2026-09-01' + (t % 90) * interval '1 day' + (t / 90) * interval '1 second' + s * interval '10 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              CASE WHEN s % 10 = 9 THEN jsonb_build_object('type', 'token_count', 'info', jsonb_build_object(
                     'total_token_usage', jsonb_build_object('input_tokens', (s / 10 + 1) * 900, 'output_tokens', (s / 10 + 1) * 100, 'total_tokens', (s / 10 + 1) * 1000),
                     'last_token_usage', jsonb_build_object('input_tokens', 900, 'output_tokens', 100, 'total_tokens', 1000)))
                   WHEN s % 10 = 1 THEN jsonb_build_object('type', 'task_started', 'turn_id', 'turn-' || t || '-' || (s / 10))
                   ELSE jsonb_build_object('type', 'message', 'role', CASE WHEN s % 2 = 0 THEN 'user' ELSE 'assistant' END,
                          'content', jsonb_build_array(jsonb_build_object('type', 'output_text', 'text', repeat(md5((t * 100 + s)::text), 8)))) END,
              300
         FROM generate_series($1::int, $2::int) AS t, generate_series(0, $4 - 1) AS s`,
      [from, Math.min(THREADS, from + chunk) - 1, TENANTS, ITEMS_PER_THREAD],
    );
    log(`items: threads ${from}..${Math.min(THREADS, from + chunk) - 1} in ${((performance.now() - c0) / 1000).toFixed(1)} s`);
  }
  await pool.query(
    `INSERT INTO thread_store.thread_checkpoints (tenant_id, thread_id, seq, window_number, window_id, first_window_id, previous_window_id, summary_length, replacement_history_size, created_at)
     SELECT ${tenantSql('t % $2')}, ${threadSql('t')}, 50, 1, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 800, 12,
            timestamptz '2026-09-01' + (t % 90) * interval '1 day' + (t / 90) * interval '1 second' + interval '500 seconds'
       FROM generate_series(0, $1 - 1, 10) AS t`,
    [THREADS, TENANTS],
  );
  const v0 = performance.now();
  await pool.query('VACUUM ANALYZE');
  log(`vacuum analyze in ${((performance.now() - v0) / 1000).toFixed(1)} s`);
  record('generate', { items: ITEMS, threads: THREADS, tenants: TENANTS, seconds: (performance.now() - t0) / 1000 });
}

async function main(): Promise<void> {
  const name = `scaling_${randomUUID().slice(0, 8)}`;
  const scratch = await createScratchDatabase(name);
  const db = openPostgresDatabase({ url: scratch.url, maxConnections: 1 });
  await migrate(db);
  await db.close();
  const pool = new pg.Pool({ connectionString: scratch.url, max: 4 });
  const machine = await machineInfo(pool);
  try {
    await generate(pool);

    // ---- sizes and partitions ----------------------------------------------------------------
    const { rows: parts } = await pool.query<{ relname: string; rows: string; bytes: string }>(
      `SELECT c.relname, s.n_live_tup AS rows, pg_total_relation_size(c.oid) AS bytes
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_stat_user_tables s ON s.relid = c.oid
        WHERE i.inhparent = 'thread_store.thread_items'::regclass ORDER BY c.relname`,
    );
    const partRows = parts.map((p) => Number(p.rows));
    const partBytes = parts.map((p) => Number(p.bytes));
    const total = partBytes.reduce((a, b) => a + b, 0);
    out('## Sizes');
    out(`thread_items: ${ITEMS.toLocaleString('en-US')} rows, ${(total / 2 ** 30).toFixed(2)} GiB with indexes, ${parts.length} partitions`);
    out(`rows per partition: min ${Math.min(...partRows).toLocaleString('en-US')}, max ${Math.max(...partRows).toLocaleString('en-US')}; size per partition: min ${(Math.min(...partBytes) / 2 ** 20).toFixed(0)} MiB, max ${(Math.max(...partBytes) / 2 ** 20).toFixed(0)} MiB`);
    record('partitions', { partitions: parts.length, min_rows: Math.min(...partRows), max_rows: Math.max(...partRows), total_gib: total / 2 ** 30 });

    // ---- one thread: pruned to one partition ---------------------------------------------------
    const lastItems = `SELECT seq, type, payload FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $2 ORDER BY seq DESC LIMIT 50`;
    out('\n## One thread: newest 50 items (listItems / resume shape)');
    out((await explain(pool, lastItems, [TENANT_7, THREAD_7])).join('\n'));
    const oneThreadMs = await median(pool, lastItems, [TENANT_7, THREAD_7], 30);
    out(`median ${oneThreadMs.toFixed(3)} ms`);
    record('one_thread_last_50', { ms: oneThreadMs });

    // ---- tenant-scoped analytics as the application role (RLS) --------------------------------
    const app = await pool.connect();
    try {
      await app.query('BEGIN');
      await app.query('SET LOCAL ROLE thread_store_app');
      await app.query(`SELECT set_config('thread_store.tenant_id', $1, true)`, [TENANT_7]);
      out('\n## Analytics of one tenant (application role, RLS): 100 threads, 10,000 items of 10M');
      for (const view of ['analytics_tenant_overview', 'analytics_daily_threads', 'analytics_daily_active_threads', 'analytics_daily_items', 'analytics_daily_tokens', 'analytics_threads_by_model', 'analytics_thread_windows', 'analytics_daily_compactions']) {
        const sql = `SELECT * FROM thread_store.${view} WHERE tenant_id = $1`;
        const ms = await median(app, sql, [TENANT_7], 7);
        out(`${view}: median ${ms.toFixed(2)} ms`);
        record('tenant_view', { view, ms });
      }
      out('\nEXPLAIN analytics_daily_active_threads (one tenant):');
      out((await explain(app, `SELECT * FROM thread_store.analytics_daily_active_threads WHERE tenant_id = $1`, [TENANT_7])).join('\n'));
      out('\nEXPLAIN analytics_daily_tokens (one tenant):');
      out((await explain(app, `SELECT * FROM thread_store.analytics_daily_tokens WHERE tenant_id = $1`, [TENANT_7])).join('\n'));
      await app.query('COMMIT');
    } finally {
      app.release();
    }

    // ---- cross-tenant analytics (owner, no RLS) --------------------------------------------------
    out('\n## Cross-tenant analytics (superuser: every tenant), one run each');
    for (const view of ['analytics_tenant_overview', 'analytics_daily_active_threads', 'analytics_daily_tokens', 'analytics_daily_items']) {
      const r = await timed(pool, `SELECT count(*) AS n FROM thread_store.${view}`);
      out(`${view}: ${(r.ms / 1000).toFixed(2)} s (${(r.rows[0] as { n: string }).n} rows)`);
      record('cross_tenant_view', { view, ms: r.ms });
    }

    // ---- 1 vs 16 vs 64 hash partitions on the same 2M rows ---------------------------------------
    out('\n## Partition count: the same 2,000,000 rows in 1, 16 and 64 hash partitions');
    const SAMPLE_THREADS = Math.min(THREADS, 20_000);
    for (const n of [1, 16, 64]) {
      const table = `thread_store.pc_${n}`;
      await pool.query(
        n === 1
          ? `CREATE TABLE ${table} (LIKE thread_store.thread_items INCLUDING DEFAULTS)`
          : `CREATE TABLE ${table} (LIKE thread_store.thread_items INCLUDING DEFAULTS) PARTITION BY HASH (thread_id)`,
      );
      for (let i = 0; i < n && n > 1; i++) await pool.query(`CREATE TABLE ${table}_${i} PARTITION OF ${table} FOR VALUES WITH (MODULUS ${n}, REMAINDER ${i})`);
      await pool.query(`ALTER TABLE ${table} ADD PRIMARY KEY (tenant_id, thread_id, seq)`);
      const ins = await timed(pool, `INSERT INTO ${table} SELECT * FROM thread_store.thread_items WHERE thread_id <= ${threadSql(String(SAMPLE_THREADS - 1))}`);
      await pool.query(`VACUUM ANALYZE ${table}`);
      // A batch like group commit writes: 64 threads × 80 rows, one INSERT … SELECT.
      const batch = await timed(
        pool,
        `INSERT INTO ${table} SELECT tenant_id, thread_id, seq + 1000, type, subtype, turn_id, ts, payload, extra, raw_line, byte_size
           FROM ${table} WHERE thread_id <= ${threadSql('63')} AND seq < 80`,
      );
      const one = await median(pool, `SELECT seq, payload FROM ${table} WHERE tenant_id = $1 AND thread_id = $2 ORDER BY seq DESC LIMIT 50`, [TENANT_7, THREAD_7], 30);
      const plan = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, SUMMARY ON, COSTS OFF, TIMING OFF) SELECT seq, payload FROM ${table} WHERE tenant_id = $1 AND thread_id = $2 ORDER BY seq DESC LIMIT 50`, [TENANT_7, THREAD_7]);
      const planning = plan.rows.map((r) => r['QUERY PLAN']).find((l) => l.startsWith('Planning Time')) ?? '';
      const tenantWide = await median(pool, `SELECT count(*), sum(byte_size) FROM ${table} WHERE tenant_id = $1`, [TENANT_7], 10);
      out(
        `${String(n).padStart(2)} partition(s): bulk insert ${(ins.ms / 1000).toFixed(1)} s; 5,120-row batch ${batch.ms.toFixed(1)} ms; newest 50 of a thread ${one.toFixed(3)} ms (${planning}); one tenant's rows (all partitions) ${tenantWide.toFixed(2)} ms`,
      );
      record('partition_count', { partitions: n, bulk_insert_s: ins.ms / 1000, batch_ms: batch.ms, last50_ms: one, planning, tenant_wide_ms: tenantWide });
      await pool.query(`DROP TABLE ${table}`);
    }

    // ---- transaction-local settings (PgBouncer transaction mode) --------------------------------
    out('\n## Transaction-local tenant setting and session-level role (one connection)');
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('thread_store.tenant_id', $1, true)`, [TENANT_7]);
      const inside = (await c.query<{ v: string }>(`SELECT current_setting('thread_store.tenant_id', true) AS v`)).rows[0]!.v;
      await c.query('COMMIT');
      const after = (await c.query<{ v: string | null }>(`SELECT current_setting('thread_store.tenant_id', true) AS v`)).rows[0]!.v;
      await c.query('SET ROLE thread_store_app');
      const roleAfter = (await c.query<{ r: string }>('SELECT current_user AS r')).rows[0]!.r;
      await c.query('RESET ROLE');
      out(`inside the transaction: '${inside}'; after COMMIT on the same connection: '${after ?? ''}' (reset); after a session-level SET ROLE: current_user = ${roleAfter} (persists on the connection)`);
      record('guc_scope', { inside, after: after ?? '', session_role: roleAfter });
    } finally {
      c.release();
    }

    // ---- retention: DELETE by thread vs dropping a time partition ------------------------------
    out('\n## Retention');
    const oldest = Math.floor(THREADS / 90); // the threads of the first day (t % 90 = 0)
    const del = await timed(
      pool,
      `WITH old AS (SELECT tenant_id, id FROM thread_store.threads WHERE created_at < timestamptz '2026-09-02')
       DELETE FROM thread_store.thread_items i USING old WHERE i.tenant_id = old.tenant_id AND i.thread_id = old.id`,
    );
    const delThreads = await timed(pool, `DELETE FROM thread_store.threads WHERE created_at < timestamptz '2026-09-02'`);
    const vac = await timed(pool, 'VACUUM thread_store.thread_items');
    out(`DELETE the ${oldest.toLocaleString('en-US')} threads of the oldest day: items ${(del.ms / 1000).toFixed(2)} s + threads ${delThreads.ms.toFixed(0)} ms, then VACUUM ${(vac.ms / 1000).toFixed(2)} s`);
    record('retention_delete', { threads: oldest, items_ms: del.ms, threads_ms: delThreads.ms, vacuum_ms: vac.ms });
    await pool.query(`CREATE TABLE thread_store.rt (LIKE thread_store.thread_items INCLUDING DEFAULTS, created_day date NOT NULL) PARTITION BY RANGE (created_day)`);
    for (const m of ['2026-09', '2026-10', '2026-11']) {
      await pool.query(`CREATE TABLE thread_store.rt_${m.replace('-', '_')} PARTITION OF thread_store.rt FOR VALUES FROM ('${m}-01') TO (('${m}-01'::date + interval '1 month')::date)`);
    }
    await pool.query(`ALTER TABLE thread_store.rt ADD PRIMARY KEY (tenant_id, thread_id, seq, created_day)`);
    await pool.query(
      `INSERT INTO thread_store.rt SELECT i.*, (t.created_at AT TIME ZONE 'UTC')::date FROM thread_store.thread_items i JOIN thread_store.threads t ON t.tenant_id = i.tenant_id AND t.id = i.thread_id WHERE i.thread_id <= ${threadSql('8999')}`,
    );
    const { rows: sep } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM thread_store.rt_2026_09`);
    const detach = await timed(pool, `ALTER TABLE thread_store.rt DETACH PARTITION thread_store.rt_2026_09`);
    const drop = await timed(pool, `DROP TABLE thread_store.rt_2026_09`);
    out(`range-partitioned by month (demo table): DETACH a month of ${Number(sep[0]!.n).toLocaleString('en-US')} rows ${detach.ms.toFixed(1)} ms, DROP ${drop.ms.toFixed(1)} ms`);
    record('retention_drop_partition', { rows: Number(sep[0]!.n), detach_ms: detach.ms, drop_ms: drop.ms });
  } finally {
    await pool.end();
    if (!keep) await scratch.drop();
    else log(`kept database ${name}`);
  }
  writeResults('scaling', results, { command: `node --import tsx bench/lib/scaling-evidence.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`, machine, report });
}

await main();
