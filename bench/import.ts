// Owns the import benchmark: builds a synthetic CODEX_HOME from the real sample's rollouts (each
// plain thread file copied under fresh thread ids until the wanted size), imports it, then inserts
// the very same rows with one raw unnest insert per batch (the floor any importer pays), and prints
// MB/s of both, their ratio, threads/s and the process's peak RSS.
//
//   npx tsx bench/import.ts [--size 100m|1g|<bytes>] [--database-url URL] [--keep] [--dir DIR]
//
// Default size 100 MB. Without --database-url / DATABASE_URL it runs on an embedded PGlite. On a
// server it creates (and drops, unless --keep) its own database `thread_store_bench_<pid>`.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from './lib/harness.js';
import { importCodexHome } from '../src/codex/import/index.js';
import { createService } from '../src/store/openThreadStore.js';
import { readRolloutFile } from '../src/codex/rolloutReader.js';
import { openEmbeddedDatabase, openPostgresDatabase, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import type { StoredRolloutLine } from '../src/model/rolloutLine.js';
import { encodeLine } from '../src/store/shared/preparedItem.js';
import { insertImportedItems, type ImportedItemRow } from '../src/store/postgres/importThread.js';

const SAMPLE = new URL('../test/fixtures/codex-home-sample/', import.meta.url).pathname;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(text.trim());
  if (!m) throw new Error(`bad --size ${text}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * mult);
}

/** Plain (not fork, not segment) thread files of the sample: each stands alone when copied. */
function templates(): { id: string; text: string }[] {
  const day = join(SAMPLE, 'sessions', '2026', '11', '24');
  const out: { id: string; text: string }[] = [];
  for (const name of readdirSync(day).sort()) {
    if (name.includes('_')) continue;
    const text = readFileSync(join(day, name), 'utf8');
    const meta = JSON.parse(text.slice(0, text.indexOf('\n'))) as { payload: { id: string; history_base?: unknown; parent_thread_id?: unknown } };
    if (meta.payload.history_base || meta.payload.parent_thread_id) continue;
    out.push({ id: meta.payload.id, text });
  }
  return out;
}

function generate(home: string, size: number): { files: number; bytes: number } {
  const tpl = templates();
  let bytes = 0;
  let files = 0;
  const start = Date.UTC(2026, 0, 1);
  while (bytes < size) {
    const t = tpl[files % tpl.length]!;
    const id = randomUUID();
    const when = new Date(start + files * 1000);
    const iso = when.toISOString();
    const dir = join(home, 'sessions', iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10));
    if (files === 0 || when.getUTCHours() === 0) mkdirSync(dir, { recursive: true });
    const name = `rollout-${iso.slice(0, 19).replace(/:/g, '-')}-${id}.jsonl`;
    const text = t.text.split(t.id).join(id);
    writeFileSync(join(dir, name), text);
    bytes += Buffer.byteLength(text);
    files += 1;
  }
  return { files, bytes };
}

function listRollouts(home: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.jsonl')) out.push(p);
    }
  };
  walk(join(home, 'sessions'));
  return out.sort();
}

/** The same rows inserted raw: parse + encode untimed, only the unnest inserts timed. */
async function rawInsert(db: Database, home: string): Promise<{ ms: number; rows: number }> {
  const tenant = randomUUID();
  let ms = 0;
  let rows = 0;
  for (const file of listRollouts(home)) {
    const threadId = randomUUID();
    const batches: ImportedItemRow[][] = [[]];
    let seq = 0;
    for await (const record of readRolloutFile(file, { validate: false })) {
      const batch = batches[batches.length - 1]!;
      batch.push({ seq: seq++, turnId: null, item: encodeLine(record.line as StoredRolloutLine) });
      if (batch.length >= 500) batches.push([]);
    }
    const t0 = performance.now();
    await db.transaction(async (tx) => {
      for (const b of batches) await insertImportedItems(tx, tenant, threadId, b);
    }, { tenantId: tenant });
    ms += performance.now() - t0;
    rows += seq;
  }
  return { ms, rows };
}

async function main(): Promise<void> {
  const size = parseSize(arg('size') ?? '100m');
  const url = arg('database-url') ?? process.env.DATABASE_URL;
  const keep = process.argv.includes('--keep');
  const home = arg('dir') ?? (await mkdtemp(join(tmpdir(), 'ts-bench-home-')));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);

  const g0 = performance.now();
  const gen = generate(home, size);
  const genMs = performance.now() - g0;
  process.stderr.write(`generated ${gen.files} files, ${(gen.bytes / 1024 / 1024).toFixed(1)} MB in ${(genMs / 1000).toFixed(1)} s at ${home}\n`);

  let db: Database;
  let dropDb: (() => Promise<void>) | null = null;
  if (url) {
    const scratch = await createScratchDatabase(`thread_store_bench_${process.pid}`, url, { replace: true });
    db = openPostgresDatabase({ url: scratch.url, maxConnections: 4 });
    dropDb = scratch.drop;
  } else {
    db = await openEmbeddedDatabase({});
  }
  await migrate(db);
  await db.useRole('thread_store_app').catch(() => {});

  const tenant = randomUUID();
  const rssBeforeImport = process.memoryUsage().rss;
  peak = 0;
  const i0 = performance.now();
  // The import writes through the tenant's store (its import/export port); the service closes db at the end.
  const service = createService(db);
  const summary = await importCodexHome({ store: service.forTenant(tenant), codexHome: home });
  const importMs = performance.now() - i0;
  const importRss = Math.max(peak, process.memoryUsage().rss);

  const raw = await rawInsert(db, home);
  clearInterval(sampler);
  const mb = gen.bytes / 1024 / 1024;
  const result = {
    database: url ? 'postgres' : 'embedded',
    files: gen.files,
    megabytes: Number(mb.toFixed(1)),
    threads: summary.threads.total,
    items: summary.items,
    failed: summary.threads.failed,
    importSeconds: Number((importMs / 1000).toFixed(2)),
    importMBps: Number((mb / (importMs / 1000)).toFixed(1)),
    threadsPerSecond: Number((summary.threads.total / (importMs / 1000)).toFixed(1)),
    rawInsertSeconds: Number((raw.ms / 1000).toFixed(2)),
    rawInsertMBps: Number((mb / (raw.ms / 1000)).toFixed(1)),
    importToRawRatio: Number((importMs / raw.ms).toFixed(2)),
    rssBeforeImportMB: Math.round(rssBeforeImport / 1024 / 1024),
    peakRssMBDuringImport: Math.round(importRss / 1024 / 1024),
    peakRssMB: Math.round(Math.max(peak, process.resourceUsage().maxRSS * 1024) / 1024 / 1024),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await service.close();
  if (dropDb && !keep) await dropDb();
  if (!keep && !arg('dir')) rmSync(home, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
