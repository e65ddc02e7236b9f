// Group commit, backpressure and exactly-once appends, seen through LiveThread: an append resolves
// only after its batch committed; one batch serves many threads; a thread's bad item fails only that
// thread's append; the bounded queue makes appends wait (or fail with ResourceExhausted); a COMMIT
// whose acknowledgement was lost is neither repeated nor lost; killed connections
// (pg_terminate_backend) are survived. After every scenario each thread's seqs are 0..n-1 and each
// acknowledged item is stored exactly once.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { newUuidV7 } from '../../src/model/ids.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { LiveThread } from '../../src/live/LiveThread.js';
import { createParamsFromMeta, FIXTURE, loadFixture } from '../contract/fixtures.js';
import { responseMessage, sleep, storedItems, track, useOwnServices } from './helpers.js';

/** Server-only tests need a PostgreSQL server (embedded PGlite is one in-process connection). */
const SERVER = inject('serverUrl') !== null;
const file = useOwnServices();
const own = file.own;

const META = loadFixture(FIXTURE.interruptFail).meta;

/** A ~1 KB line whose text names it, so the stored copy can be matched to its acknowledgement. */
function item(tag: string): RolloutLine {
  return responseMessage('assistant', `${tag} ${'x'.repeat(900)}`, tag);
}
const tagOf = (line: RolloutLine): string | undefined => (line.payload as { id?: string }).id;

async function openThreads(store: ThreadStore, n: number, persist = true): Promise<LiveThread[]> {
  const threads: LiveThread[] = [];
  for (let i = 0; i < n; i += 1) {
    const t = await LiveThread.create(store, createParamsFromMeta(META, { threadId: newUuidV7() }));
    if (persist) await t.persist(); // materialized up front: batches then hold only appended items
    threads.push(t);
  }
  return threads;
}

/** Every thread: seqs 0..n-1 and its stored tags exactly `expected` (in order). */
async function expectExactly(store: ThreadStore, threadId: string, expected: readonly string[]): Promise<void> {
  const items = await storedItems(store, threadId);
  expect(items.map((i) => i.seq)).toEqual(items.map((_, i) => i));
  expect(items[0]!.line.type).toBe('session_meta');
  expect(items.slice(1).map((i) => tagOf(i.line))).toEqual(expected);
}

describe('group commit through LiveThread', () => {
  it('append() resolves only after COMMIT; until then no other connection sees the rows', async () => {
    const { service, db } = await own();
    const store = service.forTenant(randomUUID());
    const [thread] = await openThreads(store, 1);
    const reached = db.hold();
    const append = track(thread!.append([item('held')]));
    await reached;
    await sleep(30);
    expect(append.settled()).toBe(false);
    if (file.test.url) {
      // (embedded mode has one connection, which the held transaction occupies)
      const owner = await file.test.openOwner();
      const { rows } = await owner.transaction((tx) => tx.query<{ n: number }>('SELECT count(*)::int AS n FROM thread_store.thread_items WHERE thread_id = $1', [thread!.threadId]));
      expect(rows[0]!.n).toBe(1); // only the session_meta written by persist()
    }
    db.release();
    await append.promise;
    await expectExactly(store, thread!.threadId, ['held']);
  });

  it('one transaction carries the appends of many threads (and their derived metadata)', async () => {
    const { service, db } = await own();
    const store = service.forTenant(randomUUID());
    const threads = await openThreads(store, 16);
    const reached = db.hold();
    const first = threads[0]!.append([item('t0-a')]);
    await reached;
    const before = db.batchRows.length;
    const rest = threads.slice(1).map((t, i) => t.append([item(`t${i + 1}-a`), item(`t${i + 1}-b`)]));
    db.release();
    await Promise.all([first, ...rest]);
    const later = db.batchRows.slice(before);
    expect(later).toEqual([30]); // the 15 queued appends went in one batch
    for (const [i, t] of threads.entries()) await expectExactly(store, t.threadId, i === 0 ? ['t0-a'] : [`t${i}-a`, `t${i}-b`]);
    for (const t of threads) expect(Date.parse((await t.readThread()).updatedAt)).toBeGreaterThan(0);
  });

  it("a thread's bad item fails only that thread's append; the others in the batch commit; seq stays gap-free", async () => {
    const { service, db } = await own();
    const store = service.forTenant(randomUUID());
    const threads = await openThreads(store, 8);
    const reached = db.hold();
    const first = threads[0]!.append([item('t0')]);
    await reached;
    // Passes validation (a string timestamp JS can parse) but PostgreSQL cannot store it as the
    // compaction checkpoint's timestamptz: the batch fails inside the database.
    const bad: RolloutLine = { timestamp: '-271821-04-20T00:00:00.000Z', type: 'compacted', payload: { message: 'summary' } };
    const results = threads.slice(1).map((t, i) => track(t.append(i + 1 === 3 ? [item('t3-good'), bad] : [item(`t${i + 1}`)])));
    db.release();
    await first;
    const settled = await Promise.allSettled(results.map((r) => r.promise));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'InvalidRequest' });
    // the failed thread keeps working, with no hole in its seqs
    await threads[3]!.append([item('t3-after')]);
    for (const [i, t] of threads.entries()) await expectExactly(store, t.threadId, i === 3 ? ['t3-after'] : [`t${i}`]);
  });

  it('past the bounded queue, append() waits; batches never exceed the bound', async () => {
    const itemBytes = Buffer.byteLength(JSON.stringify({ timestamp: new Date().toISOString(), ...item('t00-0') }));
    const { service, db } = await own({ groupCommit: { maxQueuedBytes: 8 * itemBytes } });
    const store = service.forTenant(randomUUID());
    const threads = await openThreads(store, 32);
    const reached = db.hold();
    const first = threads[0]!.append([item('t00-0')]);
    await reached;
    const rest = threads.slice(1).map((t, i) => track(t.append([item(`t${String(i + 1).padStart(2, '0')}-0`)])));
    await sleep(30);
    expect(rest.some((r) => r.settled())).toBe(false);
    const before = db.batchRows.length;
    db.release();
    await first;
    await Promise.all(rest.map((r) => r.promise)); // all of them made it: they waited, none failed
    const batches = db.batchRows.slice(before);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(31);
    expect(Math.max(...batches)).toBeLessThanOrEqual(8);
    for (const [i, t] of threads.entries()) await expectExactly(store, t.threadId, [`t${String(i).padStart(2, '0')}-0`]);
  });

  it('with rejectWhenFull, appends past the bound fail with ResourceExhausted and store nothing', async () => {
    const itemBytes = Buffer.byteLength(JSON.stringify({ timestamp: new Date().toISOString(), ...item('t00-0') }));
    const { service, db } = await own({ groupCommit: { maxQueuedBytes: 4 * itemBytes, rejectWhenFull: true } });
    const store = service.forTenant(randomUUID());
    const threads = await openThreads(store, 12);
    const reached = db.hold();
    const first = threads[0]!.append([item('first')]);
    await reached;
    const rest = threads.slice(1).map((t) => t.append([item('maybe')]));
    db.release();
    await first;
    const settled = await Promise.allSettled(rest);
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThan(0);
    for (const r of rejected) expect(r.reason).toMatchObject({ code: 'ResourceExhausted' });
    for (const [i, t] of threads.slice(1).entries()) {
      const ok = settled[i]!.status === 'fulfilled';
      await t.append([item('again')]); // a rejected thread simply appends again
      await expectExactly(store, t.threadId, ok ? ['maybe', 'again'] : ['again']);
    }
  });
});

describe('exactly once under faults', () => {
  it('COMMIT succeeded but its acknowledgement was lost: the writer finds out and does not write again', async () => {
    const { service, db } = await own();
    const store = service.forTenant(randomUUID());
    const threads = await openThreads(store, 4);
    const rowsBefore = db.batchRows.length;
    db.inject('lose-ack');
    await Promise.all(threads.map((t, i) => t.append([item(`t${i}-a`)])));
    db.inject('lose-ack', 'lose-ack');
    await Promise.all(threads.map((t, i) => t.append([item(`t${i}-b`), item(`t${i}-c`)])));
    // no batch was sent twice: each lost acknowledgement was resolved by asking the database
    expect(db.batchRows.slice(rowsBefore).reduce((a, b) => a + b, 0)).toBe(12);
    for (const [i, t] of threads.entries()) await expectExactly(store, t.threadId, [`t${i}-a`, `t${i}-b`, `t${i}-c`]);
    const t0 = await threads[0]!.readThread();
    expect(t0.itemCount).toBe(4);
  });

  it('connection lost before COMMIT: the batch is retried once and stored once', async () => {
    const { service, db } = await own();
    const store = service.forTenant(randomUUID());
    const [thread] = await openThreads(store, 1);
    const txBefore = db.appendTransactions;
    db.inject('fail-before-commit', 'fail-before-commit');
    await thread!.append([item('a'), item('b')]);
    expect(db.appendTransactions - txBefore).toBe(3);
    await thread!.append([item('c')]);
    await expectExactly(store, thread!.threadId, ['a', 'b', 'c']);
  });

  it.skipIf(!SERVER)(
    'pg_terminate_backend of the writer connections mid-stream: appends continue after reconnecting, exactly once, gap-free',
    async () => {
      // Needs a PostgreSQL server: embedded PGlite has no backends to kill.
      const { service, applicationName } = await own({ maxConnections: 4 });
      const store = service.forTenant(randomUUID());
      const threads = await openThreads(store, 16);
      const owner = await file.test.openOwner();
      let stop = false;
      let killed = 0;
      const killer = (async () => {
        for (let round = 0; round < 12 && !stop; round += 1) {
          await sleep(25 + Math.random() * 40);
          const { rows } = await owner.transaction((tx) =>
            tx.query<{ n: number }>('SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]),
          );
          killed += rows[0]!.n;
        }
      })();
      const acked = new Map<string, string[]>();
      await Promise.all(
        threads.map(async (t, ti) => {
          const tags: string[] = [];
          acked.set(t.threadId, tags);
          for (let n = 0; n < 40; n += 1) {
            const batch = [item(`t${ti}-${n}-a`), item(`t${ti}-${n}-b`)];
            await t.append(batch);
            tags.push(...batch.map((b) => tagOf(b)!));
          }
        }),
      );
      stop = true;
      await killer;
      expect(killed).toBeGreaterThan(0);
      for (const t of threads) await expectExactly(store, t.threadId, acked.get(t.threadId)!);
    },
  );
});
