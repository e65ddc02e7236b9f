// Shared benchmark harness: a fresh database per bench (on DATABASE_URL's server), warm-up and
// repeated runs with median and spread, printing (a table row or one JSON object per line) and
// saving results under bench/results/<bench>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export const DEFAULT_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type BenchResult = Record<string, string | number | null> & { bench: string };

export interface BenchDatabase {
  url: string;
  raw: pg.Pool;
  drop(results: BenchResult[]): Promise<void>;
}

/** A database created for this run and dropped at the end; results are written to bench/results. */
export async function createBenchDatabase(bench: string): Promise<BenchDatabase> {
  const name = `bench_${bench}_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: DEFAULT_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(DEFAULT_URL);
  url.pathname = `/${name}`;
  const raw = new pg.Pool({ connectionString: url.toString(), max: 8 });
  return {
    url: url.toString(),
    raw,
    async drop(results) {
      await raw.end();
      const a = new pg.Client({ connectionString: DEFAULT_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
      if (results.length > 0) {
        mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
        writeFileSync(new URL(`../results/${bench}.json`, import.meta.url), `${JSON.stringify({ bench, at: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
      }
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
