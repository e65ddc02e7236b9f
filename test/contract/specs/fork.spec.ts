// forkThread (spec §9, §13 "Fork / resume"): a new thread whose history is its own session_meta
// followed by the source's history (whole, or up to the last line of a turn).
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../../src/model/errors.js';
import type { ContractContext } from '../harness.js';
import { FIXTURE, fixtureTurnIds } from '../fixtures.js';
import { createParams, expectError, ids, importFixture, listAll, makeThread, message, ms, newId, turnLines } from '../helpers.js';

export function forkSpec(ctx: ContractContext): void {
  describe('forkThread', () => {
    it('forks the whole history after its own session_meta; keeps the lineage preview and name, starts its own title, first message and tokens', async () => {
      const store = ctx.store();
      const { threadId: sourceId } = await importFixture(store, FIXTURE.unicode, { deriveMetadata: true });
      await store.updateThreadMetadata({ threadId: sourceId, patch: { name: 'Unicode 🌍', gitInfo: { branch: 'main' }, tokenUsage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 2, reasoning_output_tokens: 0, total_tokens: 3 } } });
      const source = await store.readThread({ threadId: sourceId, includeHistory: true });
      const newThreadId = newId();
      const t0 = Date.now();
      const fork = await store.forkThread({ sourceThreadId: sourceId, newThreadId });
      expect(fork).toMatchObject({
        threadId: newThreadId,
        forkedFromId: sourceId,
        archivedAt: null,
        name: 'Unicode 🌍',
        preview: source.preview,
        title: '',
        firstUserMessage: null,
        modelProvider: source.modelProvider,
        model: source.model,
        cwd: source.cwd,
        source: source.source,
        historyMode: source.historyMode,
        memoryMode: source.memoryMode,
        gitInfo: { sha: null, branch: 'main', originUrl: null },
        // As in Codex 0.169's state_5.sqlite: the lineage preview and name carry over, the title,
        // first message and token usage are the fork's own.
        tokensUsed: 0,
        tokenUsage: null,
      });
      expect(fork.createdAt).toBe(fork.updatedAt);
      expect(fork.recencyAt).toBe(fork.createdAt);
      expect(ms(fork.createdAt)).toBeGreaterThanOrEqual(t0 - 1000);
      expect(await store.readThread({ threadId: newThreadId })).toEqual(fork);

      const history = await store.loadHistory({ threadId: newThreadId });
      expect(history.threadId).toBe(newThreadId);
      expect(history.items[0]!.type).toBe('session_meta');
      expect(history.items[0]!.payload).toMatchObject({ id: newThreadId, forked_from_id: sourceId });
      expect(history.items.slice(1)).toEqual(source.history!.items);
      // the source is unchanged and both are listed
      expect(await store.readThread({ threadId: sourceId, includeHistory: true })).toEqual(source);
      expect(new Set(ids(await listAll(store)))).toEqual(new Set([sourceId, newThreadId]));
    });

    it('lastTurnId keeps the source history up to and including that turn', async () => {
      const store = ctx.store();
      const { threadId: sourceId, lines } = await importFixture(store, FIXTURE.interruptFail);
      const turns = fixtureTurnIds(lines);
      const newThreadId = newId();
      await store.forkThread({ sourceThreadId: sourceId, newThreadId, lastTurnId: turns[1] });
      const sourceHistory = (await store.loadHistory({ threadId: sourceId })).items;
      const sourceItems = await store.listItems({ threadId: sourceId, sortDirection: 'asc', pageSize: 1000 });
      const lastSeq = Math.max(...sourceItems.items.filter((i) => i.turnId === turns[1]).map((i) => i.seq));
      const history = (await store.loadHistory({ threadId: newThreadId })).items;
      expect(history.slice(1)).toEqual(sourceHistory.slice(0, lastSeq + 1));
      const forkTurns = await store.listTurns({ threadId: newThreadId, sortDirection: 'asc' });
      expect(forkTurns.turns.map((t) => [t.turnId, t.status])).toEqual([
        [turns[0], 'completed'],
        [turns[1], 'interrupted'],
      ]);
      const forkItems = await store.listItems({ threadId: newThreadId, sortDirection: 'asc', pageSize: 1000 });
      expect(forkItems.items.map((i) => i.line)).toEqual(history);
      expect(new Set(forkItems.items.map((i) => i.itemKey)).size).toBe(forkItems.items.length);
      for (let i = 1; i < forkItems.items.length; i += 1) expect(forkItems.items[i]!.itemOrdinal).toBeGreaterThan(forkItems.items[i - 1]!.itemOrdinal);
    });

    it('the fork is not live; once resumed it grows independently of the source', async () => {
      const store = ctx.store();
      const sourceId = await makeThread(store);
      const forkId = newId();
      await store.forkThread({ sourceThreadId: sourceId, newThreadId: forkId });
      await expectError(store.appendItems({ threadId: forkId, items: [message('user', 'x')] }), ThreadNotFoundError);
      const before = (await store.loadHistory({ threadId: sourceId })).items;
      await store.resumeThread({ threadId: forkId, metadata: { modelProvider: 'openai' } });
      const added = newId();
      await store.appendItems({ threadId: forkId, items: turnLines(added, 'fork only') });
      await store.shutdownThread(forkId);
      expect((await store.loadHistory({ threadId: sourceId })).items).toEqual(before);
      const forkHistory = (await store.loadHistory({ threadId: forkId })).items;
      expect(forkHistory).toHaveLength(1 + before.length + 6);
      expect((await store.listTurns({ threadId: forkId, sortDirection: 'asc' })).turns.at(-1)?.turnId).toBe(added);
    });

    it('a fork counts the lines it stores itself (its session_meta) until deleting its source makes the inherited lines its own', async () => {
      const store = ctx.store();
      const sourceId = await makeThread(store);
      const source = await store.readThread({ threadId: sourceId });
      const forkId = newId();
      const fork = await store.forkThread({ sourceThreadId: sourceId, newThreadId: forkId });
      const history = (await store.loadHistory({ threadId: forkId })).items;
      expect(history.length).toBeGreaterThan(2);
      expect(fork.itemCount).toBe(1);
      const metaBytes = fork.byteSize;
      expect(metaBytes).toBe(Buffer.byteLength(JSON.stringify(history[0]), 'utf8'));
      const second = await store.forkThread({ sourceThreadId: forkId, newThreadId: newId() });
      expect(second.itemCount).toBe(1);

      await store.resumeThread({ threadId: forkId, metadata: { modelProvider: 'openai' } });
      await store.appendItems({ threadId: forkId, items: [message('user', 'own line')] });
      await store.shutdownThread(forkId);
      expect((await store.readThread({ threadId: forkId })).itemCount).toBe(2);

      await store.deleteThread({ threadId: sourceId });
      const detached = await store.readThread({ threadId: forkId });
      expect(detached.itemCount).toBe(history.length + 1);
      expect(detached.byteSize).toBe(source.byteSize + metaBytes + Buffer.byteLength(JSON.stringify((await store.loadHistory({ threadId: forkId })).items.at(-1)), 'utf8'));
    });

    it('fork of a fork returns the full inherited history', async () => {
      const store = ctx.store();
      const sourceId = await makeThread(store);
      const fork1 = newId();
      await store.forkThread({ sourceThreadId: sourceId, newThreadId: fork1 });
      await store.resumeThread({ threadId: fork1, metadata: { modelProvider: 'openai' } });
      await store.appendItems({ threadId: fork1, items: turnLines(newId(), 'in fork 1') });
      await store.shutdownThread(fork1);
      const fork2 = newId();
      const second = await store.forkThread({ sourceThreadId: fork1, newThreadId: fork2 });
      expect(second.forkedFromId).toBe(fork1);
      const h1 = (await store.loadHistory({ threadId: fork1 })).items;
      const h2 = (await store.loadHistory({ threadId: fork2 })).items;
      expect(h2.slice(1)).toEqual(h1);
      expect(h2[0]!.payload).toMatchObject({ id: fork2, forked_from_id: fork1 });
      expect(h2.filter((l) => l.type === 'session_meta')).toHaveLength(3);
    });

    it('forks keep their full history when the source is deleted', async () => {
      const store = ctx.store();
      const { threadId: sourceId, lines } = await importFixture(store, FIXTURE.interruptFail);
      const turns = fixtureTurnIds(lines);
      const fork1 = newId();
      const fork2 = newId();
      await store.forkThread({ sourceThreadId: sourceId, newThreadId: fork1, lastTurnId: turns[3] });
      await store.forkThread({ sourceThreadId: fork1, newThreadId: fork2 });
      const h1 = await store.loadHistory({ threadId: fork1 });
      const h2 = await store.loadHistory({ threadId: fork2 });
      const t1 = await store.listTurns({ threadId: fork1, itemsView: 'full' });
      const i2 = await store.listItems({ threadId: fork2, pageSize: 1000 });
      await store.deleteThread({ threadId: sourceId });
      expect(await store.loadHistory({ threadId: fork1 })).toEqual(h1);
      expect(await store.loadHistory({ threadId: fork2 })).toEqual(h2);
      expect(await store.listTurns({ threadId: fork1, itemsView: 'full' })).toEqual(t1);
      expect(await store.listItems({ threadId: fork2, pageSize: 1000 })).toEqual(i2);
      await store.deleteThread({ threadId: fork1 });
      expect(await store.loadHistory({ threadId: fork2 })).toEqual(h2);
    });

    it('errors: unknown source, unknown turn, taken target id, archived source', async () => {
      const store = ctx.store();
      const sourceId = await makeThread(store);
      await expectError(store.forkThread({ sourceThreadId: newId(), newThreadId: newId() }), ThreadNotFoundError);
      await expectError(store.forkThread({ sourceThreadId: sourceId, newThreadId: newId(), lastTurnId: 'no-such-turn' }), InvalidRequestError);
      await expectError(store.forkThread({ sourceThreadId: sourceId, newThreadId: sourceId }), InvalidRequestError, /already exists/);
      const other = await makeThread(store);
      await expectError(store.forkThread({ sourceThreadId: sourceId, newThreadId: other }), InvalidRequestError, /already exists/);
      const live = newId();
      await store.createThread(createParams(live));
      await expectError(store.forkThread({ sourceThreadId: sourceId, newThreadId: live }), InvalidRequestError);
      await expectError(store.forkThread({ sourceThreadId: sourceId, newThreadId: 'nope' }), InvalidRequestError);
      await store.archiveThread({ threadId: sourceId });
      await expectError(store.forkThread({ sourceThreadId: sourceId, newThreadId: newId() }), InvalidRequestError, /is archived/);
      const fromArchived = await store.forkThread({ sourceThreadId: sourceId, newThreadId: newId(), includeArchived: true });
      expect(fromArchived.archivedAt).toBeNull();
    });
  });
}
