// Shared timing helpers for throughput benchmarks: a high-resolution clock, a latency recorder
// with percentiles, and rate formatting. (Fresh databases, result printing and saving live in
// harness.ts.)
import { percentile } from './harness.js';

/** Milliseconds from a monotonic clock. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Collects per-operation latencies (ms) and summarizes them. */
export class LatencyRecorder {
  private readonly samples: number[] = [];

  record(ms: number): void {
    this.samples.push(ms);
  }

  /** Time `fn` and record its latency. */
  async time<T>(fn: () => Promise<T>): Promise<T> {
    const t0 = nowMs();
    try {
      return await fn();
    } finally {
      this.samples.push(nowMs() - t0);
    }
  }

  get count(): number {
    return this.samples.length;
  }

  summary(): LatencySummary {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const sum = sorted.reduce((a, b) => a + b, 0);
    return {
      count: sorted.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? Number.NaN,
      mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    };
  }
}

/** Round to `digits` decimals (for stable JSON output). */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Run `worker(i)` for i in [0, n) concurrently until `durationMs` has passed; returns elapsed ms. */
export async function runFor(n: number, durationMs: number, worker: (i: number, until: number) => Promise<void>): Promise<number> {
  const t0 = nowMs();
  const until = t0 + durationMs;
  await Promise.all(Array.from({ length: n }, (_, i) => worker(i, until)));
  return nowMs() - t0;
}
