// Citus benchmark (issue #17): the cost of distribution. The same workloads, same run, interleaved
// round by round, on
//   single — a scratch database on DATABASE_URL's server (one PostgreSQL), and
//   citus  — a Citus coordinator with 2 workers, the schema distributed by `thread-store distribute`
//            (src/db/citus.ts): CITUS_URL when set, else a throwaway cluster started from the Citus
//            bundle (shared/citus/cluster.sh) and destroyed afterwards.
// Both are on this one machine (the three Citus nodes share its 2 cores with the client), so the
// ratio citus ÷ single is what distribution costs, never a speed-up.
// Workloads, through the library as the application role: (1) append throughput — 64 LiveThreads,
// one tenant each, each appending 1 KB items one at a time (awaiting each ack), items/s and ack
// latency; (2) listThreads (page of 50) of a tenant with 1,000 threads; (3) newest 50 items of a
// 1,000-item thread; (4) resume (reconstructHistory) of that thread. Then the shard placement: the
// tenants of the run per worker, and thread_items bytes per worker.
//
// Usage: npm run bench -- citus [--json] [--duration-ms 3000] [--rounds 3] [--threads 64]
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import pg from 'pg';
import { LiveThread } from '../src/live/LiveThread.js';
import { openPostgresDatabase } from '../src/db/database.js';
import { distribute } from '../src/db/citus.js';
import { migrate } from '../src/db/migrate.js';
import type { RolloutLine } from '../src/model/rolloutLine.js';
import { openThreadStore, type ThreadStoreService } from '../src/store/openThreadStore.js';
import { benchArgs, createBenchDatabase, formatNumber, formatRatio, renderTable, summarize, type BenchResult } from './lib/harness.js';
import { LatencyRecorder, nowMs, round } from './lib/latency.js';

const args = benchArgs();
const json = args.flag('--json');
const DURATION_MS = args.number('--duration-ms', 3000);
const ROUNDS = args.number('--rounds', 3);
const THREADS = args.number('--threads', 64);
const ITEM_BYTES = 1024;
const LIST_THREADS = 1000;
const THREAD_ITEMS = 1000;

// ---- the cluster ---------------------------------------------------------------------------------

interface Cluster {
  url: string;
  stop(): void;
}

/** CITUS_URL, or a throwaway cluster from the bundle (as .ci/citus starts one). */
function citusCluster(): Cluster {
  if (process.env.CITUS_URL) return { url: process.env.CITUS_URL, stop: () => {} };
  const bundle = [process.env.CITUS_BUNDLE, new URL('../../shared/citus', import.meta.url).pathname, '/work/shared/citus'].find(
    (d) => d && existsSync(`${d}/cluster.sh`),
  );
  if (!bundle) throw new Error('bench citus: set CITUS_URL to a Citus coordinator, or CITUS_BUNDLE to the Citus bundle (cluster.sh)');
  const dir = mkdtempSync('/var/tmp/thread-store-bench-citus.');
  chmodSync(dir, 0o755); // the servers run as another user when this runs as root
  const base = 20000 + Math.floor(Math.random() * 1200) * 10;
  const started = spawnSync('bash', [`${bundle}/cluster.sh`, 'start', `${dir}/cluster`, String(base)], { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`bench citus: cluster.sh start failed: ${started.stderr}`);
  const url = readFileSync(`${dir}/cluster/coordinator.url`, 'utf8').trim();
  return {
    url,
    stop: () => {
      spawnSync('bash', [`${bundle}/cluster.sh`, 'destroy', `${dir}/cluster`], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- the rows ------------------------------------------------------------------------------------

const WORDS = 'the parser returns null when the benchmark is empty so we should check the length before we index into the array'.split(' ');
let seed = 7;
function item(): RolloutLine {
  let body = '';
  while (body.length < ITEM_BYTES - 160) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    body += `${WORDS[seed % WORDS.length]} `;
  }
  return { type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: body }] } };
}

const createParams = (threadId: string) => ({
  threadId,
  source: 'exec' as const,
  originator: 'bench',
  cliVersion: '0.169.0',
  metadata: { cwd: '/bench', modelProvider: 'openai' },
});

// ---- the workloads -------------------------------------------------------------------------------

interface Target {
  name: 'single' | 'citus';
  service: ThreadStoreService;
  threads: LiveThread[];
  /** The live threads' tenants (one each). */
  tenants: string[];
  listTenant: string;
  resumeTenant: string;
  resumeThread: string;
}

async function prepare(name: Target['name'], service: ThreadStoreService): Promise<Target> {
  // 64 live threads, one tenant each.
  const tenants = Array.from({ length: THREADS }, () => randomUUID());
  const threads = await Promise.all(
    tenants.map(async (tenant) => {
      const thread = await LiveThread.create(service.forTenant(tenant), createParams(randomUUID()));
      await thread.persist();
      return thread;
    }),
  );
  // A tenant with LIST_THREADS threads, and a thread of THREAD_ITEMS items.
  const listTenant = randomUUID();
  const lister = service.forTenant(listTenant);
  for (let i = 0; i < LIST_THREADS; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        const threadId = randomUUID();
        await lister.createThread(createParams(threadId));
        await lister.appendItems({ threadId, items: [{ type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } }] });
      }),
    );
  }
  const resumeTenant = randomUUID();
  const resumeThread = randomUUID();
  const resumer = service.forTenant(resumeTenant);
  await resumer.createThread(createParams(resumeThread));
  for (let i = 0; i < THREAD_ITEMS; i += 100) await resumer.appendItems({ threadId: resumeThread, items: Array.from({ length: 100 }, item) });
  return { name, service, threads, tenants, listTenant, resumeTenant, resumeThread };
}

/** Every thread appends one item at a time for DURATION_MS: items/s, and the ack latencies into `latencies`. */
async function appendPhase(target: Target, latencies: LatencyRecorder): Promise<{ itemsPerS: number; avgBatch: number }> {
  const before = target.service.writerStats();
  let items = 0;
  const t0 = nowMs();
  const until = t0 + DURATION_MS;
  await Promise.all(
    target.threads.map(async (thread) => {
      while (nowMs() < until) {
        const line = item();
        await latencies.time(() => thread.append([line]));
        items += 1;
      }
    }),
  );
  const elapsed = nowMs() - t0;
  const after = target.service.writerStats();
  const batches = after.batches - before.batches;
  return { itemsPerS: (items / elapsed) * 1000, avgBatch: batches === 0 ? 0 : (after.items - before.items) / batches };
}

async function time(fn: () => Promise<unknown>, runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = nowMs();
    await fn();
    out.push(nowMs() - t0);
  }
  return out;
}

// ---- placement -------------------------------------------------------------------------------------

async function placement(url: string, tenants: string[]): Promise<Record<string, number | string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const perWorker = await client.query<{ port: number; tenants: number }>(
      `SELECT n.nodeport AS port, count(*)::int AS tenants
         FROM unnest($1::uuid[]) t(id)
         JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('thread_store.threads', t.id)
         JOIN pg_dist_node n ON n.groupid = p.groupid
        GROUP BY 1 ORDER BY 1`,
      [tenants],
    );
    const bytes = await client.query<{ port: number; mb: number }>(
      `SELECT nodeport AS port, round(sum(shard_size) / 1048576.0, 1)::float AS mb FROM citus_shards
        WHERE table_name::text LIKE 'thread_store.thread_items%' GROUP BY 1 ORDER BY 1`,
    );
    const shards = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_dist_shard WHERE logicalrelid = 'thread_store.threads'::regclass`);
    const out: Record<string, number | string> = { shards_per_table: shards.rows[0]?.n ?? 0 };
    for (const [k, r] of perWorker.rows.entries()) out[`worker${k + 1}_tenants`] = r.tenants;
    for (const [k, r] of bytes.rows.entries()) out[`worker${k + 1}_items_mb`] = r.mb;
    out.workers = perWorker.rows.map((r) => r.port).join(',');
    return out;
  } finally {
    await client.end();
  }
}

// ---- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const cluster = citusCluster();
  const single = await createBenchDatabase('citus').catch((error: unknown) => {
    cluster.stop();
    throw error;
  });
  const results: BenchResult[] = [];
  let singleService: ThreadStoreService | null = null;
  let citusService: ThreadStoreService | null = null;
  try {
    // The coordinator: migrated and distributed as an operator would (thread-store migrate, distribute).
    const admin = openPostgresDatabase({ url: cluster.url, maxConnections: 1 });
    await migrate(admin);
    const distributed = await admin.withSession((s) => distribute(s));
    await admin.close();
    singleService = await openThreadStore({ url: single.url, maxConnections: 8 });
    citusService = await openThreadStore({ url: cluster.url, maxConnections: 8 });
    const targets = [await prepare('single', singleService), await prepare('citus', citusService)];

    const rates: Record<string, number[]> = { single: [], citus: [] };
    const batches: Record<string, number[]> = { single: [], citus: [] };
    const acks: Record<string, LatencyRecorder> = { single: new LatencyRecorder(), citus: new LatencyRecorder() };
    const lists: Record<string, number[]> = { single: [], citus: [] };
    const newest: Record<string, number[]> = { single: [], citus: [] };
    const resumes: Record<string, number[]> = { single: [], citus: [] };
    for (const t of targets) await appendPhase(t, new LatencyRecorder()); // warm-up
    for (let r = 0; r < ROUNDS; r += 1) {
      for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
        const phase = await appendPhase(t, acks[t.name]!);
        rates[t.name]!.push(phase.itemsPerS);
        batches[t.name]!.push(phase.avgBatch);
        const lister = t.service.forTenant(t.listTenant);
        const resumer = t.service.forTenant(t.resumeTenant);
        lists[t.name]!.push(...(await time(() => lister.listThreads({ pageSize: 50 }), 20)));
        newest[t.name]!.push(...(await time(() => resumer.listItems({ threadId: t.resumeThread, sortDirection: 'desc', pageSize: 50 }), 20)));
        resumes[t.name]!.push(...(await time(() => resumer.reconstructHistory({ threadId: t.resumeThread }), 20)));
      }
    }
    for (const t of targets) await Promise.all(t.threads.map((th) => th.shutdown()));

    const med = (xs: number[]) => summarize(xs).median;
    const row = (workload: string, unit: string, s: number, c: number, extra: Record<string, number | string> = {}): BenchResult => ({
      bench: 'citus',
      workload,
      unit,
      single: round(s),
      citus: round(c),
      ratio_citus_vs_single: round(c / s, 3),
      ...extra,
    });
    const ackS = acks.single!.summary();
    const ackC = acks.citus!.summary();
    results.push(
      row(`append, ${THREADS} threads x 1 tenant each`, 'items/s', med(rates.single!), med(rates.citus!), {
        // Items per committed transaction: a group-commit batch on one server; a batch's per-tenant part on Citus.
        single_items_per_transaction: round(med(batches.single!)),
        citus_items_per_transaction: round(med(batches.citus!)),
      }),
      row('append ack p50', 'ms', ackS.p50, ackC.p50),
      row('append ack p99', 'ms', ackS.p99, ackC.p99),
      row(`listThreads, page of 50 of ${LIST_THREADS}`, 'ms', med(lists.single!), med(lists.citus!), { single_spread: round(summarize(lists.single!).spread), citus_spread: round(summarize(lists.citus!).spread) }),
      row(`newest 50 items of a ${THREAD_ITEMS}-item thread`, 'ms', med(newest.single!), med(newest.citus!)),
      row(`resume (reconstructHistory) of a ${THREAD_ITEMS}-item thread`, 'ms', med(resumes.single!), med(resumes.citus!)),
    );
    const tenants = [...targets[1]!.tenants, targets[1]!.listTenant, targets[1]!.resumeTenant];
    results.push({ bench: 'citus', workload: 'shard placement (this run’s tenants)', unit: 'tenants / MB', citus_version: distributed.citusVersion, ...(await placement(cluster.url, tenants)) });

    if (json) for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      const table = results.slice(0, -1).map((r) => [String(r.workload), String(r.unit), formatNumber(r.single as number), formatNumber(r.citus as number), formatRatio(r.ratio_citus_vs_single as number)]);
      process.stdout.write(`${renderTable(['workload', 'unit', 'single node', `Citus ${distributed.citusVersion} (2 workers)`, 'citus ÷ single'], table)}\n`);
      process.stdout.write(`placement: ${JSON.stringify(results.at(-1))}\n`);
    }
  } finally {
    await citusService?.close();
    await singleService?.close();
    await single.drop(results, { parameters: { durationMs: DURATION_MS, rounds: ROUNDS, threads: THREADS, itemBytes: ITEM_BYTES } });
    cluster.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
