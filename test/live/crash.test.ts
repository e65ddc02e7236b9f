// Crash safety across processes: a child process appends through LiveThread and prints every
// acknowledged item; it is killed with SIGKILL at a random moment, a dozen times in a row, each new
// child resuming the same thread once the dead writer's lease has lapsed. Afterwards every
// acknowledged item is stored, none twice, and the thread's seqs run 0..n-1 without a gap.
// Needs a PostgreSQL server (separate processes cannot share the embedded PGlite).
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { newUuidV7 } from '../../src/model/ids.js';
import { useTestStore } from '../helpers/database.js';
import { sleep, startChildWriter, storedItems } from './helpers.js';

const SERVER = inject('serverUrl') !== null;
const TRIALS = 12;
const LEASE_MS = 300;

const ctx = useTestStore();

describe.skipIf(!SERVER)('SIGKILL of a writer process (server only: child processes need a shared database)', () => {
  it(`${TRIALS} random kills: every acknowledged item is stored exactly once, seq contiguous from 0`, { timeout: 120_000 }, async () => {
    const tenantId = randomUUID();
    const threadId = newUuidV7();
    const acked: string[] = [];
    let killedBeforeReady = 0;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const child = startChildWriter({
        url: ctx.test.url!,
        tenantId,
        threadId,
        mode: 'append',
        create: trial === 0,
        tag: `trial${trial}`,
        leaseMs: LEASE_MS,
        claimWaitMs: 20_000,
      });
      // Every third trial is killed at a random moment that may fall before it even claimed the
      // thread; the others once they are appending, after a random 0–300 ms.
      if (trial > 0 && trial % 3 === 0) {
        await sleep(Math.random() * 600);
        if (!child.lines.includes('ready')) killedBeforeReady += 1;
      } else {
        await child.waitForLine((l) => l === 'ready');
        await sleep(Math.random() * 300);
      }
      child.kill('SIGKILL');
      await child.exited;
      expect(child.lines.filter((l) => l.startsWith('fatal'))).toEqual([]);
      acked.push(...child.acked());
    }
    const store = ctx.service.forTenant(tenantId);
    const items = await storedItems(store, threadId);
    expect(items.map((i) => i.seq)).toEqual(items.map((_, i) => i));
    expect(items[0]!.line.type).toBe('session_meta');
    const stored = items.slice(1).map((i) => (i.line.payload as { id: string }).id);
    expect(new Set(stored).size).toBe(stored.length); // nothing twice
    const storedSet = new Set(stored);
    expect(acked.filter((t) => !storedSet.has(t))).toEqual([]); // nothing acknowledged is missing
    // per trial, the stored items are in append order
    const order = new Map(stored.map((t, i) => [t, i]));
    for (let i = 1; i < acked.length; i += 1) {
      if (acked[i]!.split('-')[0] === acked[i - 1]!.split('-')[0]) expect(order.get(acked[i]!)!).toBeGreaterThan(order.get(acked[i - 1]!)!);
    }
    const thread = await store.readThread({ threadId });
    expect(thread.itemCount).toBe(items.length);
    expect(acked.length).toBeGreaterThan(TRIALS); // the trials really appended
    console.info(`crash test: ${acked.length} acknowledged, ${stored.length} stored (${stored.length - acked.length} committed but unacknowledged at the kill), ${killedBeforeReady} killed before claiming`);
  });
});
