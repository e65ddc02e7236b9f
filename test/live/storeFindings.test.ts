// Regression tests for store-layer bugs found while testing LiveThread (all fixed in
// src/store/postgres/groupCommitWriter.ts): commit outcomes are asked by transaction id, and
// backpressure admits appends in arrival order.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/model/errors.js';
import { newUuidV7 } from '../../src/model/ids.js';
import type { CreateThreadParams } from '../../src/model/params.js';
import { LiveThread } from '../../src/live/LiveThread.js';
import { expireClaimOwner, responseMessage, sleep, storedItems, track, useOwnServices } from './helpers.js';

const file = useOwnServices();
const own = file.own;

const create = (threadId: string): CreateThreadParams => ({ threadId, source: 'exec', originator: 'findings', metadata: { cwd: '/w', modelProvider: 'openai' } });
const item = (tag: string) => responseMessage('assistant', `${tag} ${'z'.repeat(300)}`, tag);
const tags = (items: { line: { payload: unknown } }[]) => items.slice(1).map((i) => (i.line.payload as { id: string }).id);

describe('store-layer findings (regressions)', () => {
  it(
    'commit-outcome check after a takeover: an append that never committed must not be acknowledged because another writer has since written past its seqs',
    async () => {
      const a = await own({ leaseMs: 60_000 });
      const b = await own({ leaseMs: 60_000 });
      const tenantId = randomUUID();
      const threadId = newUuidV7();
      const writerA = await LiveThread.create(a.service.forTenant(tenantId), create(threadId));
      await writerA.append([item('a1')]);
      // A's next batch loses its connection before COMMIT, and A cannot reach the database to ask
      // what happened (a partition longer than the lease).
      let reconnect!: () => void;
      a.db.blockRecovery(new Promise<void>((r) => (reconnect = r)));
      a.db.inject('fail-before-commit');
      const before = a.db.appendTransactions;
      const lost = track(writerA.append([item('a2-never-stored')]));
      while (a.db.appendTransactions === before) await sleep(5);
      // Meanwhile A's lease lapses and B takes the thread over and writes.
      await expireClaimOwner(a.db, tenantId, threadId);
      const writerB = await LiveThread.resume(b.service.forTenant(tenantId), { threadId, metadata: { cwd: '/w', modelProvider: 'openai' } });
      await writerB.append([item('b1')]);
      reconnect();
      // Correct: A learns its batch did not commit and (being fenced) fails with Conflict.
      // Today: A sees threads.last_seq ≥ its batch's last seq and acknowledges the lost item.
      const outcome = await lost.promise.then(
        () => 'acknowledged',
        (error: unknown) => error,
      );
      expect(tags(await storedItems(b.service.forTenant(tenantId), threadId))).toEqual(['a1', 'b1']);
      expect(outcome).toBeInstanceOf(ConflictError);
    },
  );

  it('commit-outcome check of a batch carrying a metadata patch: one that never committed is retried, not reported as applied', async () => {
    const { service, db } = await own();
    const store = service.forTenant(randomUUID());
    const threadId = newUuidV7();
    await store.createThread(create(threadId));
    await store.appendItems({ threadId, items: [item('a1')] });
    db.inject('fail-before-commit');
    // The outcome is asked of the stored lines (the batch's first item, as written), not inferred from last_seq.
    await store.appendItems({ threadId, items: [item('a2')] }, { metadataPatch: { title: 'patched' } });
    expect((await store.readThread({ threadId })).title).toBe('patched');
    expect(tags(await storedItems(store, threadId))).toEqual(['a1', 'a2']);
  });

  it('backpressure keeps FIFO order: a small append cannot overtake an earlier, larger one of the same thread that waits for space', async () => {
    const itemBytes = Buffer.byteLength(JSON.stringify({ timestamp: new Date().toISOString(), ...item('x0') }));
    const { service, db } = await own({ groupCommit: { maxQueuedBytes: 3 * itemBytes } });
    const store = service.forTenant(randomUUID());
    const [t, u] = [newUuidV7(), newUuidV7()];
    for (const id of [t, u]) {
      await store.createThread(create(id));
      await store.persistThread(id);
    }
    const reached = db.hold();
    const inFlight = store.appendItems({ threadId: u, items: [item('u1')] });
    await reached;
    // Raw store callers may pipeline appends of one thread (LiveThread never does: it awaits each).
    const big = store.appendItems({ threadId: t, items: [item('big1'), item('big2'), item('big3')] });
    const small = store.appendItems({ threadId: t, items: [item('small')] });
    db.release();
    await Promise.all([inFlight, big, small]);
    expect(tags(await storedItems(store, t))).toEqual(['big1', 'big2', 'big3', 'small']);
  });
});
