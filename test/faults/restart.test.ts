// Fault (a): the PostgreSQL server is restarted (`pg_ctl restart -m fast`: every session killed,
// in-flight transactions rolled back) while 16 live threads keep appending through one store. The
// group-commit writer must ride through: afterwards every acknowledged item is stored exactly once
// and each thread's seq is contiguous from 0. Runs on its own throwaway cluster.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openThreadStore, type ThreadStoreService } from '../../src/store/openThreadStore.js';
import { startThrowawayPostgres, throwawayPostgresUnavailable, type ThrowawayPostgres } from '../helpers/throwawayPostgres.js';
import { auditThread, expectSound, marked } from './helpers.js';

const unavailable = throwawayPostgresUnavailable();
const THREADS = 16;

describe.skipIf(unavailable !== null)(`fault: PostgreSQL restarted under 16 appending threads${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let cluster: ThrowawayPostgres;
  let service: ThreadStoreService;

  beforeAll(async () => {
    cluster = await startThrowawayPostgres();
    service = await openThreadStore({ url: cluster.url, maxConnections: 6, groupCommit: { retryDeadlineMs: 30_000 } });
  });

  afterAll(async () => {
    await service?.close().catch(() => {});
    await cluster?.destroy();
  });

  it('every acknowledged item survives exactly once, seq contiguous, across two fast restarts', async () => {
    const tenantId = randomUUID();
    const store = service.forTenant(tenantId);
    const threads = Array.from({ length: THREADS }, () => randomUUID());
    const acked = new Map<string, Set<string>>(threads.map((t) => [t, new Set()]));
    const errors: string[] = [];
    let slowestAckMs = 0;
    let stop = false;
    for (const threadId of threads) {
      await store.createThread({ threadId, source: 'cli', originator: 'fault_test', metadata: { cwd: '/faults', modelProvider: 'openai' } });
    }
    const writer = async (threadId: string, index: number) => {
      for (let k = 0; !stop; k++) {
        const markers = Array.from({ length: 1 + ((k + index) % 3) }, (_, j) => `${threadId}.${k}.${j}`);
        const started = Date.now();
        try {
          await store.appendItems({ threadId, items: markers.map(marked) });
          for (const m of markers) acked.get(threadId)!.add(m);
          slowestAckMs = Math.max(slowestAckMs, Date.now() - started);
        } catch (error) {
          errors.push(`${threadId}: ${(error as Error).message}`);
          return;
        }
      }
    };
    const running = threads.map((t, i) => writer(t, i));
    const totalAcked = () => [...acked.values()].reduce((n, s) => n + s.size, 0);
    const waitFor = async (n: number) => {
      while (totalAcked() < n && errors.length === 0) await new Promise((r) => setTimeout(r, 10));
    };
    await waitFor(300);
    await cluster.restart();
    const afterFirst = totalAcked();
    await waitFor(afterFirst + 300);
    await cluster.restart();
    await waitFor(totalAcked() + 300);
    stop = true;
    await Promise.all(running);
    expect(errors).toEqual([]);
    for (const threadId of threads) await store.shutdownThread(threadId);

    expect(cluster.log()).toMatch(/received fast shutdown request/);
    // Something was in flight when the server went away (it waited for the restart).
    expect(slowestAckMs).toBeGreaterThan(50);
    let stored = 0;
    for (const threadId of threads) {
      const audit = await auditThread(cluster.url, tenantId, threadId, acked.get(threadId)!);
      expectSound(audit, threadId);
      // Nothing was refused, so everything stored was acknowledged and vice versa.
      expect(audit.markers.length).toBe(acked.get(threadId)!.size);
      expect(audit.seqs[0]).toBe(0); // session_meta
      stored += audit.markers.length;
    }
    expect(stored).toBe(totalAcked());
    expect(stored).toBeGreaterThanOrEqual(900);
    process.stdout.write(`[restart] ${stored} items acknowledged and stored, slowest ack ${slowestAckMs} ms\n`);
  }, 90_000);
});
