// Shared benchmark harness: a fresh database per bench (on DATABASE_URL's server), warm-up and
// repeated runs with median and spread, printing (a table row or one JSON object per line) and
// saving results under bench/results/<bench>.json, together with the machine, the versions and
// the command that produced them (bench/chart.ts draws the SVG charts from those files).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import pg from 'pg';

export const DEFAULT_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type BenchResult = Record<string, string | number | null> & { bench: string };

/**
 * A bench's command line: flags (`--json`) and `--name value` options. A number or a list of
 * numbers that does not parse stops the bench with a message naming the option, rather than running
 * it with NaN.
 */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)) {
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const toNumber = (name: string, text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`${name} expects a number, got ${JSON.stringify(text)}`);
    return value;
  };
  return {
    flag: (name: string): boolean => argv.includes(name),
    option,
    number: (name: string, fallback: number): number => {
      const text = option(name);
      return text === undefined ? fallback : toNumber(name, text);
    },
    numbers: (name: string, fallback: readonly number[]): number[] => {
      const text = option(name);
      return text === undefined ? [...fallback] : text.split(',').map((part) => toNumber(name, part));
    },
  };
}

export interface BenchDatabase {
  url: string;
  raw: pg.Pool;
  /** Drops the database; writes bench/results/<bench>.json when there are results (`meta` adds top-level keys). */
  drop(results: BenchResult[], meta?: Record<string, unknown>): Promise<void>;
}

async function onServer<T>(serverUrl: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

export interface ScratchDatabase {
  url: string;
  /** Drops it, closing whatever connections are still open (WITH FORCE). */
  drop(): Promise<void>;
}

/**
 * A new database `name` (a plain identifier we made, never user input) on `serverUrl`'s server;
 * `replace` drops a leftover of that name first.
 */
export async function createScratchDatabase(name: string, serverUrl = DEFAULT_URL, options: { replace?: boolean } = {}): Promise<ScratchDatabase> {
  await onServer(serverUrl, async (admin) => {
    if (options.replace) await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => onServer(serverUrl, async (admin) => void (await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}

/** A database created for this run and dropped at the end; results are written to bench/results. */
export async function createBenchDatabase(bench: string): Promise<BenchDatabase> {
  const name = `bench_${bench.replace(/[^A-Za-z0-9_]/g, '_')}_${randomUUID().slice(0, 8)}`;
  const scratch = await createScratchDatabase(name);
  const raw = new pg.Pool({ connectionString: scratch.url, max: 8 });
  return {
    url: scratch.url,
    raw,
    async drop(results, meta = {}) {
      const machine = results.length > 0 ? await machineInfo(raw).catch(() => null) : null;
      await raw.end();
      // Results first: nothing that happens while dropping can lose them.
      if (results.length > 0) writeResults(bench, results, { ...(machine ? { machine } : {}), ...meta });
      // Give pools that are still closing (a peer library's, say) a moment, so FORCE does not
      // kill connections whose owners have no error handler.
      await onServer(DEFAULT_URL, async (a) => {
        for (let i = 0; i < 40; i++) {
          const { rows } = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if ((rows[0]?.n ?? 0) === 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
      });
      await scratch.drop();
    },
  };
}

export interface Measurement {
  median: number;
  spread: number;
  samples: number[];
}

/** Median and spread (p90 − p10) of `runs` timed calls after `warmup` untimed ones, in ms. */
export async function measure(fn: () => Promise<unknown>, options: { warmup?: number; runs?: number } = {}): Promise<Measurement> {
  const warmup = options.warmup ?? 3;
  const runs = options.runs ?? 25;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), spread: percentile(sorted, 90) - percentile(sorted, 10), samples };
}

/**
 * Like `measure` for several contenders at once, interleaved: each round runs every one of them
 * once, in an order that rotates from round to round, so drift (CPU clock, caches, other work on
 * the machine, autovacuum) lands on all of them alike and their ratio stays honest.
 */
export async function measureInterleaved<K extends string>(
  fns: Record<K, () => Promise<unknown>>,
  options: { warmup?: number; runs?: number } = {},
): Promise<Record<K, Measurement>> {
  const keys = Object.keys(fns) as K[];
  const warmup = options.warmup ?? 3;
  const runs = options.runs ?? 25;
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < warmup + runs; round++) {
    for (let j = 0; j < keys.length; j++) {
      const key = keys[(round + j) % keys.length]!;
      const t0 = process.hrtime.bigint();
      await fns[key]();
      if (round >= warmup) samples[key].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const out = {} as Record<K, Measurement>;
  for (const key of keys) {
    const sorted = [...samples[key]].sort((a, b) => a - b);
    out[key] = { median: percentile(sorted, 50), spread: percentile(sorted, 90) - percentile(sorted, 10), samples: samples[key] };
  }
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1)) : String(v));

/** One JSON object per line with --json, else an aligned row (ratios first-class). */
export function printResult(result: BenchResult, json: boolean, columns: string[]): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  process.stdout.write(`${result.bench.padEnd(8)} ${columns.map((c) => `${c}=${fmt(result[c])}`).join('  ')}\n`);
}

// ---- results files, machine and versions ---------------------------------------------------------

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  postgres: string | null;
  /** 1-minute load average when the results were written (other work on the machine skews numbers). */
  loadAverage1m: number;
}

/** What the numbers were measured on (the PostgreSQL version is asked from `pool` when given). */
export async function machineInfo(pool?: pg.Pool): Promise<MachineInfo> {
  let postgres: string | null = null;
  if (pool) {
    const { rows } = await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    postgres = rows[0]?.v ?? null;
  }
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    postgres,
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** Installed versions of `packages` (read from node_modules), null when absent. */
export function packageVersions(packages: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const name of packages) {
    out[name] = null;
    // The peers live in bench/node_modules (bench/package.json), the package's own deps in the root.
    for (const dir of ['../node_modules/', '../../node_modules/']) {
      try {
        const json = JSON.parse(readFileSync(new URL(`${dir}${name}/package.json`, import.meta.url), 'utf8')) as { version?: string };
        out[name] = json.version ?? null;
        break;
      } catch {
        // not installed there
      }
    }
  }
  return out;
}

/** The command that ran this bench, as a user would type it. */
export function benchCommand(bench: string): string {
  const args = process.argv.slice(2).join(' ');
  return `npm run bench -- ${bench}${args ? ` ${args}` : ''}`;
}

/** Write bench/results/<bench>.json: { bench, at, node, command, ...meta, results } (`meta.command` overrides). */
export function writeResults(bench: string, results: BenchResult[], meta: Record<string, unknown> = {}): void {
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  const doc = { bench, at: new Date().toISOString(), node: process.version, command: benchCommand(bench), ...meta, results };
  writeFileSync(new URL(`../results/${bench}.json`, import.meta.url), `${JSON.stringify(doc, null, 2)}\n`);
}

// ---- summaries and tables ------------------------------------------------------------------------

/** Median and spread (p90 − p10) of samples; with fewer than 5 samples the spread is max − min. */
export function summarize(samples: number[]): Measurement {
  const sorted = [...samples].sort((a, b) => a - b);
  const spread = sorted.length < 5 ? sorted[sorted.length - 1]! - sorted[0]! : percentile(sorted, 90) - percentile(sorted, 10);
  return { median: percentile(sorted, 50), spread, samples };
}

/** `12.3×` / `0.81×`; '—' when not finite. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—';
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/** Thousands-separated integer, or 3 significant digits below 100. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

/** An aligned plain-text table (first column left-aligned, the others right-aligned). */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return `${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')}\n`;
}
