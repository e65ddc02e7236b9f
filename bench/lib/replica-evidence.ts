// Evidence for the read-replica section of docs/SCALING.md: a private primary and a streaming hot
// standby (PostgreSQL 15 binaries of this machine, two throw-away clusters under /tmp on ports
// 55432/55433, run as the `postgres` OS user; the shared server is not touched). The store writes
// on the primary; listThreads runs on the standby through openThreadStore({ migrate: false }).
// Measures: listing latency on both, how long a new thread takes to become listable on the
// standby (replication delay seen by a reader), and that the standby refuses writes.
//
// Usage: node --import tsx bench/lib/replica-evidence.ts   (needs root to switch to `postgres`)
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, chownSync } from 'node:fs';
import { LiveThread } from '../../src/live/LiveThread.js';
import { openThreadStore } from '../../src/store/openThreadStore.js';
import { machineInfo, measure, summarize, writeResults, type BenchResult } from './harness.js';

const BIN = '/usr/lib/postgresql/15/bin';
const ROOT = `/tmp/ts-replica-${process.pid}`;
const PRIMARY = { dir: `${ROOT}/primary`, port: 55432 };
const STANDBY = { dir: `${ROOT}/standby`, port: 55433 };
const THREADS = 2_000;

const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', `${BIN}/${cmd}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const url = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;
const out = (s: string) => process.stdout.write(`${s}\n`);

function start(node: { dir: string; port: number }): void {
  asPostgres('pg_ctl', ['-D', node.dir, '-l', `${node.dir}.log`, '-w', '-o', `-p ${node.port} -k ${ROOT} -c listen_addresses=127.0.0.1 -c shared_buffers=64MB`, 'start']);
}

async function main(): Promise<void> {
  mkdirSync(ROOT, { recursive: true });
  chownSync(ROOT, 101, 104);
  const results: BenchResult[] = [];
  try {
    asPostgres('initdb', ['-D', PRIMARY.dir, '-U', 'postgres', '--auth=trust']); // wal_level=replica and max_wal_senders=10 are the defaults
    start(PRIMARY);
    asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(PRIMARY.port), '-U', 'postgres', '-D', STANDBY.dir, '-R', '-X', 'stream']);
    start(STANDBY);

    const primary = await openThreadStore({ url: url(PRIMARY.port), role: null });
    const standby = await openThreadStore({ url: url(STANDBY.port), role: null, migrate: false });
    const tenant = randomUUID();
    try {
      const store = primary.forTenant(tenant);
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let i = next++; i < THREADS; i = next++) {
            const live = await LiveThread.create(store, { threadId: randomUUID(), source: 'cli', originator: 'bench', metadata: { cwd: '/w', modelProvider: 'openai' } });
            await live.append([{ type: 'event_msg', payload: { type: 'user_message', message: `question ${i}` } }]);
            await live.shutdown();
          }
        }),
      );
      // Wait until the standby has replayed everything, then compare listing latency.
      const reader = standby.forTenant(tenant);
      for (let waited = 0; (await reader.listThreads({ pageSize: 1, sortKey: 'updated_at' })).items.length === 0 && waited < 10_000; waited += 10) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const list = (s: typeof store) => () => s.listThreads({ sortKey: 'created_at', pageSize: 50 });
      const onPrimary = await measure(list(store), { warmup: 10, runs: 50 });
      const onStandby = await measure(list(reader), { warmup: 10, runs: 50 });
      out(`listThreads (50 of ${THREADS}): primary ${onPrimary.median.toFixed(2)} ms, standby ${onStandby.median.toFixed(2)} ms`);
      results.push({ bench: 'replica', name: 'list_50', primary_ms: onPrimary.median, standby_ms: onStandby.median });

      // Time from "append committed on the primary" to "thread listed on the standby".
      const delays: number[] = [];
      for (let i = 0; i < 30; i++) {
        const threadId = randomUUID();
        const live = await LiveThread.create(store, { threadId, source: 'cli', originator: 'bench', metadata: { cwd: '/w', modelProvider: 'openai' } });
        await live.append([{ type: 'event_msg', payload: { type: 'user_message', message: `fresh ${i}` } }]);
        const committed = performance.now();
        let immediately = true;
        for (;;) {
          const page = await reader.listThreads({ sortKey: 'created_at', pageSize: 1 });
          if (page.items[0]?.threadId === threadId) break;
          immediately = false;
          await new Promise((r) => setTimeout(r, 1));
        }
        delays.push(performance.now() - committed);
        if (i === 0) out(`first fresh thread visible on the standby ${immediately ? 'on the first read' : 'after polling'}`);
        await live.shutdown();
      }
      const d = summarize(delays);
      out(`commit on primary → listed on standby: median ${d.median.toFixed(2)} ms, max ${Math.max(...delays).toFixed(2)} ms (30 threads)`);
      results.push({ bench: 'replica', name: 'visibility_delay', median_ms: d.median, max_ms: Math.max(...delays) });

      // The standby refuses writes: a store opened on it can read but not create.
      let refusal = '';
      try {
        const live = await LiveThread.create(reader, { threadId: randomUUID(), source: 'cli', originator: 'bench', metadata: { cwd: '/w', modelProvider: 'openai' } });
        await live.append([{ type: 'event_msg', payload: { type: 'user_message', message: 'x' } }]);
      } catch (error) {
        refusal = `${(error as { code?: string }).code ?? ''}: ${(error as Error).message.split('\n')[0]}`;
      }
      out(`writing through the standby: ${refusal || 'ACCEPTED (unexpected)'}`);
      results.push({ bench: 'replica', name: 'standby_write', error: refusal });
    } finally {
      await standby.close();
      await primary.close();
    }
  } finally {
    for (const node of [STANDBY, PRIMARY]) {
      try {
        asPostgres('pg_ctl', ['-D', node.dir, '-m', 'fast', '-w', 'stop']);
      } catch {
        // not running
      }
    }
    rmSync(ROOT, { recursive: true, force: true });
  }
  writeResults('replica', results, { command: 'node --import tsx bench/lib/replica-evidence.ts', machine: await machineInfo() });
}

await main();
