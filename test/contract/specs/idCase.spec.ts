// Ids in any letter case (issue 15, point 2). Codex parses ids with `Uuid::parse_str`, which
// accepts upper case, and prints them lower case; so does every store: an id is normalized once
// where it enters (params, LiveThread, ThreadManager, forTenant) and comes back lower case.
import { describe, expect, it } from 'vitest';
import { LiveThread } from '../../../src/live/LiveThread.js';
import { ThreadManager } from '../../../src/manager/ThreadManager.js';
import type { ContractContext } from '../harness.js';
import { createParams, ids, listAll, makeThread, message, newId, turnLines } from '../helpers.js';

const upper = (id: string): string => id.toUpperCase();

export function idCaseSpec(ctx: ContractContext): void {
  describe('ids in upper case', () => {
    it('createThread / appendItems / every read take an upper-case thread id and answer in lower case', async () => {
      const store = ctx.store();
      const id = newId();
      const parent = newId();
      await store.createThread(createParams(upper(parent)));
      await store.appendItems({ threadId: upper(parent), items: turnLines(newId(), 'parent') }, { metadataPatch: { preview: 'parent' } });
      await store.shutdownThread(upper(parent));

      await store.createThread(createParams(upper(id), { sessionId: upper(parent), parentThreadId: upper(parent), forkedFromId: upper(parent) }));
      // The first append materializes the thread; upper and lower case name the same live writer.
      await store.appendItems({ threadId: upper(id), items: turnLines(newId(), 'first') }, { metadataPatch: { preview: 'first' } });
      await store.appendItems({ threadId: id, items: [message('user', 'second')] });
      await store.appendItems({ threadId: upper(id), items: [message('assistant', 'third')] });
      await store.flushThread(upper(id));

      const thread = await store.readThread({ threadId: upper(id), includeHistory: true });
      expect(thread.threadId).toBe(id);
      expect(thread.parentThreadId).toBe(parent);
      expect(thread.forkedFromId).toBe(parent);
      expect(thread.itemCount).toBe(9);
      expect(thread.history!.threadId).toBe(id);
      expect(thread.history!.items[0]!.payload).toMatchObject({ id, session_id: parent, forked_from_id: parent, parent_thread_id: parent });
      const history = await store.loadHistory({ threadId: upper(id) });
      expect(history.threadId).toBe(id);
      expect(history.items).toHaveLength(9);
      expect((await store.reconstructHistory({ threadId: upper(id) })).history.length).toBeGreaterThan(0);

      const turns = await store.listTurns({ threadId: upper(id) });
      expect(turns.turns.length).toBeGreaterThan(0);
      const items = await store.listItems({ threadId: upper(id) });
      expect(items.items.length).toBeGreaterThan(0);
      expect(ids(await listAll(store))).toEqual(expect.arrayContaining([id, parent]));
      expect(ids(await listAll(store, { relationFilter: { kind: 'directChildrenOf', threadId: upper(parent) } }))).toEqual([id]);

      const renamed = await store.updateThreadMetadata({ threadId: upper(id), patch: { name: 'upper' } });
      expect(renamed.threadId).toBe(id);
      await store.shutdownThread(upper(id));
      await store.resumeThread({ threadId: upper(id), metadata: { modelProvider: 'openai' } });
      await store.appendItems({ threadId: upper(id), items: [message('user', 'after resume')] });
      await store.discardThread(upper(id));
      expect((await store.readThread({ threadId: id })).itemCount).toBe(10);

      const fork = newId();
      const forked = await store.forkThread({ sourceThreadId: upper(id), newThreadId: upper(fork) });
      expect(forked.threadId).toBe(fork);
      expect(forked.forkedFromId).toBe(id);
      expect((await store.loadHistory({ threadId: fork })).items[0]!.payload).toMatchObject({ id: fork, forked_from_id: id });

      await store.archiveThread({ threadId: upper(fork) });
      expect((await store.unarchiveThread({ threadId: upper(fork) })).threadId).toBe(fork);
      await store.deleteThread({ threadId: upper(fork) });
      expect(ids(await listAll(store))).not.toContain(fork);
    });

    it('LiveThread and ThreadManager keep the lower-case id and can append', async () => {
      const store = ctx.store();
      const id = newId();
      const live = await LiveThread.create(store, createParams(upper(id)), { logger: { warn: () => {} } });
      expect(live.threadId).toBe(id);
      await live.append(turnLines(newId(), 'hello upper'));
      await live.shutdown();
      const resumed = await LiveThread.resume(store, { threadId: upper(id), metadata: { modelProvider: 'openai' } }, { logger: { warn: () => {} } });
      expect(resumed.threadId).toBe(id);
      await resumed.append([message('user', 'again')]);
      await resumed.shutdown();
      expect((await store.readThread({ threadId: id })).itemCount).toBe(8);

      const manager = new ThreadManager(store, { logger: { warn: () => {} } });
      const other = newId();
      const loaded = await manager.createThread(createParams(upper(other)));
      expect(loaded.threadId).toBe(other);
      expect(manager.getThread(upper(other))).toBe(loaded);
      await manager.appendRolloutItems(upper(other), turnLines(newId(), 'via manager'));
      await manager.shutdownThread(upper(other));
      expect(manager.loadedThreadIds()).toEqual([]);
      expect((await store.readThread({ threadId: other })).threadId).toBe(other);
    });

    it('a tenant id in upper case is the same tenant', async () => {
      const { tenantId, store } = ctx.tenant();
      const id = await makeThread(store);
      const shouting = ctx.service.forTenant(upper(tenantId));
      expect(shouting.tenantId).toBe(tenantId);
      expect(ids(await listAll(shouting))).toEqual([id]);
    });
  });
}
