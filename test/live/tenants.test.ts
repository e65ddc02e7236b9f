// Many tenants in one process (a platform keeps one tenant per customer): the group-commit writer
// writes the appends of threads of different tenants in one batch — one pipeline whose scope names
// all of them — and row-level security still checks every row against that scope; a batch that
// spans tenants survives a lost acknowledgement exactly once; and idle live threads cost one
// heartbeat statement per beat for the whole process, however many tenants they belong to.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newUuidV7 } from '../../src/model/ids.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import { LiveThread } from '../../src/live/LiveThread.js';
import { createParamsFromMeta, FIXTURE, loadFixture } from '../contract/fixtures.js';
import { responseMessage, sleep, storedItems, useOwnServices } from './helpers.js';

const file = useOwnServices();
const META = loadFixture(FIXTURE.interruptFail).meta;

const item = (tag: string): RolloutLine => responseMessage('assistant', `${tag} ${'x'.repeat(200)}`, tag);
const tagOf = (line: RolloutLine): string | undefined => (line.payload as { id?: string }).id;

async function openAcross(service: Awaited<ReturnType<typeof file.own>>['service'], tenants: string[]): Promise<LiveThread[]> {
  const threads: LiveThread[] = [];
  for (const tenant of tenants) {
    const t = await LiveThread.create(service.forTenant(tenant), createParamsFromMeta(META, { threadId: newUuidV7() }));
    await t.persist();
    threads.push(t);
  }
  return threads;
}

describe('threads of many tenants in one process', () => {
  it('share batches; every row lands in its own tenant, and no tenant sees another', async () => {
    const { service, db } = await file.own();
    const tenants = Array.from({ length: 12 }, () => randomUUID());
    const threads = await openAcross(service, tenants);
    const reached = db.hold();
    const first = threads[0]!.append([item('t0-0')]);
    await reached;
    const before = db.batchTenants.length;
    const rest = threads.slice(1).map((t, i) => t.append([item(`t${i + 1}-0`), item(`t${i + 1}-1`)]));
    db.release();
    await Promise.all([first, ...rest]);
    // The eleven queued appends of eleven tenants travelled together.
    expect(Math.max(...db.batchTenants.slice(before))).toBe(11);
    for (const [i, t] of threads.entries()) {
      const items = await storedItems(service.forTenant(tenants[i]!), t.threadId);
      expect(items.map((x) => x.seq)).toEqual(items.map((_, k) => k));
      expect(items.slice(1).map((x) => tagOf(x.line))).toEqual(i === 0 ? ['t0-0'] : [`t${i}-0`, `t${i}-1`]);
    }
    // Row by row, as the application role: each tenant's rows are exactly its own thread's.
    for (const [i, tenant] of tenants.entries()) {
      const seen = await db.transaction(
        async (tx) => (await tx.query<{ thread_id: string; tenant_id: string }>('SELECT DISTINCT tenant_id::text, thread_id::text FROM thread_store.thread_items')).rows,
        { tenantId: tenant, operation: 'test' },
      );
      expect(seen).toEqual([{ tenant_id: tenant, thread_id: threads[i]!.threadId }]);
    }
    for (const t of threads) await t.shutdown();
  });

  it('a batch spanning tenants whose acknowledgement was lost is stored exactly once', async () => {
    const { service, db } = await file.own();
    const tenants = Array.from({ length: 6 }, () => randomUUID());
    const threads = await openAcross(service, tenants);
    const reached = db.hold();
    const first = threads[0]!.append([item('warm')]);
    await reached;
    db.inject('lose-ack');
    const rest = threads.slice(1).map((t, i) => t.append([item(`a${i + 1}`)]));
    db.release();
    await Promise.all([first, ...rest]);
    await Promise.all(threads.slice(1).map((t, i) => t.append([item(`b${i + 1}`)])));
    expect(db.batchTenants.some((n) => n === 5)).toBe(true);
    for (const [i, t] of threads.entries()) {
      const items = await storedItems(service.forTenant(tenants[i]!), t.threadId);
      expect(items.map((x) => x.seq)).toEqual(items.map((_, k) => k));
      expect(items.slice(1).map((x) => tagOf(x.line))).toEqual(i === 0 ? ['warm'] : [`a${i}`, `b${i}`]);
    }
  });

  it('idle live threads cost one heartbeat statement per beat for the process, whatever the number of tenants', async () => {
    const leaseMs = 600; // a beat every 200 ms
    const { service, db } = await file.own({ leaseMs });
    const tenants = Array.from({ length: 40 }, () => randomUUID());
    await openAcross(service, tenants);
    await service.flushSearchIndex(); // the persisted session_meta lines are folded: nothing left to do
    db.operations.clear();
    const started = Date.now();
    await sleep(1_100);
    const elapsed = Date.now() - started;
    const beats = db.operations.get('heartbeat') ?? 0;
    // About elapsed / (lease / 3) beats, each ONE statement (40 tenants would have cost 40 each).
    expect(beats).toBeGreaterThanOrEqual(2);
    expect(beats).toBeLessThanOrEqual(Math.ceil(elapsed / (leaseMs / 3)) + 1);
    // And nothing else ran while the threads sat idle.
    expect([...db.operations.keys()]).toEqual(['heartbeat']);
  });
});
