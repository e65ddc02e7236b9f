// Live writers: create / resume / persist / flush / shutdown / discard (spec §2.1, §2.4, §13 "ThreadStore API & errors").
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../../src/model/errors.js';
import type { ContractContext } from '../harness.js';
import { createParams, event, expectError, makeThread, message, newId, turnLines } from '../helpers.js';

export function lifecycleSpec(ctx: ContractContext): void {
  describe('lifecycle', () => {
    it('reports the paginated history mode and its tenant', () => {
      const { tenantId, store } = ctx.tenant();
      expect(store.defaultHistoryMode()).toBe('paginated');
      expect(store.tenantId).toBe(tenantId);
    });

    it('validates create params, naming the field', async () => {
      const store = ctx.store();
      const bad = { ...createParams(newId()), originator: 42 } as unknown as Parameters<typeof store.createThread>[0];
      const error = await expectError(store.createThread(bad), InvalidRequestError);
      expect(error.path).toBe('originator');
      const badId = await expectError(store.createThread(createParams('not-a-uuid')), InvalidRequestError);
      expect(badId.path).toBe('threadId');
      const badMeta = { ...createParams(newId()), metadata: {} } as unknown as Parameters<typeof store.createThread>[0];
      expect((await expectError(store.createThread(badMeta), InvalidRequestError)).path).toBe('metadata.modelProvider');
    });

    it('is lazy: nothing is stored until the first persisted item', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await expectError(store.readThread({ threadId }), ThreadNotFoundError);
      await expectError(store.loadHistory({ threadId }), ThreadNotFoundError);
      await store.flushThread(threadId);
      await expectError(store.readThread({ threadId }), ThreadNotFoundError);
      await store.appendItems({ threadId, items: turnLines(newId(), 'first') });
      const thread = await store.readThread({ threadId });
      expect(thread.threadId).toBe(threadId);
    });

    it('a new thread with no appended items leaves nothing after shutdown', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await store.shutdownThread(threadId);
      await expectError(store.readThread({ threadId }), ThreadNotFoundError);
      expect((await store.listThreads({ relationFilter: null })).items).toEqual([]);
      // the id is free again
      await store.createThread(createParams(threadId));
    });

    it('rejects a second create or resume while a live writer exists', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await expectError(store.createThread(createParams(threadId)), InvalidRequestError, /already has a live writer/);
      await store.persistThread(threadId);
      await expectError(store.resumeThread({ threadId, metadata: { modelProvider: 'openai' } }), InvalidRequestError, /already has a live writer/);
    });

    it('rejects creating an id that is already a stored thread', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      await expectError(store.createThread(createParams(threadId)), InvalidRequestError, /already exists/);
    });

    it('persistThread materializes the session_meta and the record from the create params', async () => {
      const store = ctx.store();
      const threadId = newId();
      const parentThreadId = newId();
      const sessionId = newId();
      const windowId = newId();
      const before = Date.now();
      await store.createThread(
        createParams(threadId, {
          sessionId,
          parentThreadId,
          source: { subagent: { thread_spawn: { parent_thread_id: parentThreadId, depth: 1 } } },
          threadSource: 'subagent',
          originator: 'codex_vscode',
          cliVersion: '0.169.0',
          initialWindowId: windowId,
          agentNickname: 'Popper',
          agentRole: 'explorer',
          agentPath: 'root/popper',
          gitInfo: { sha: 'abc123', branch: 'main', originUrl: null },
          metadata: { cwd: '/srv/app', modelProvider: 'mockA', memoryMode: 'disabled' },
        }),
      );
      await store.persistThread(threadId);
      await store.persistThread(threadId); // idempotent
      const thread = await store.readThread({ threadId, includeHistory: true });
      expect(thread).toMatchObject({
        threadId,
        sessionId,
        forkedFromId: null,
        parentThreadId,
        source: { subagent: { thread_spawn: { parent_thread_id: parentThreadId, depth: 1 } } },
        threadSource: 'subagent',
        originator: 'codex_vscode',
        cwd: '/srv/app',
        modelProvider: 'mockA',
        cliVersion: '0.169.0',
        memoryMode: 'disabled',
        historyMode: 'paginated',
        agentNickname: 'Popper',
        agentRole: 'explorer',
        agentPath: 'root/popper',
        gitInfo: { sha: 'abc123', branch: 'main', originUrl: null },
        preview: '',
        title: '',
        name: null,
        archivedAt: null,
        approvalMode: 'on-request',
        tokensUsed: 0,
        itemCount: 1,
      });
      expect(thread.createdAt).toBe(thread.updatedAt);
      expect(thread.recencyAt).toBe(thread.createdAt);
      expect(ms(thread.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(ms(thread.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);
      expect(thread.byteSize).toBeGreaterThan(0);
      const items = thread.history?.items ?? [];
      expect(items).toHaveLength(1);
      const meta = items[0]!;
      expect(meta.type).toBe('session_meta');
      expect(meta.payload).toMatchObject({
        id: threadId,
        session_id: sessionId,
        parent_thread_id: parentThreadId,
        cwd: '/srv/app',
        originator: 'codex_vscode',
        cli_version: '0.169.0',
        model_provider: 'mockA',
        memory_mode: 'disabled',
        history_mode: 'paginated',
        context_window: { window_id: windowId },
        git: { commit_hash: 'abc123', branch: 'main' },
        agent_nickname: 'Popper',
      });
    });

    it('defaults: sessionId = threadId, historyMode paginated, memoryMode enabled, no git', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await store.persistThread(threadId);
      const thread = await store.readThread({ threadId });
      expect(thread).toMatchObject({ sessionId: threadId, historyMode: 'paginated', memoryMode: 'enabled', gitInfo: null, parentThreadId: null });
      const history = await store.loadHistory({ threadId });
      expect(history.items[0]!.payload).toMatchObject({ id: threadId, session_id: threadId });
    });

    it('accepts a null cwd (no filesystem context)', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId, { metadata: { cwd: null, modelProvider: 'openai' } }));
      await store.persistThread(threadId);
      expect((await store.readThread({ threadId })).cwd).toBe('');
    });

    it('persist / flush / shutdown / append without a live writer → ThreadNotFound', async () => {
      const store = ctx.store();
      const unknown = newId();
      await expectError(store.persistThread(unknown), ThreadNotFoundError);
      await expectError(store.flushThread(unknown), ThreadNotFoundError);
      await expectError(store.shutdownThread(unknown), ThreadNotFoundError);
      await expectError(store.appendItems({ threadId: unknown, items: turnLines(newId(), 'x') }), ThreadNotFoundError);
      // a stored but not live thread is no different
      const stored = await makeThread(store);
      await expectError(store.persistThread(stored), ThreadNotFoundError);
      await expectError(store.flushThread(stored), ThreadNotFoundError);
      await expectError(store.shutdownThread(stored), ThreadNotFoundError);
      await expectError(store.appendItems({ threadId: stored, items: turnLines(newId(), 'x') }), ThreadNotFoundError, `thread ${stored} not found`);
    });

    it('append after shutdown → ThreadNotFound', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store, { keepLive: true });
      await store.flushThread(threadId);
      await store.shutdownThread(threadId);
      await expectError(store.appendItems({ threadId, items: [message('user', 'late')] }), ThreadNotFoundError);
    });

    it('discard: idempotent, unknown ids are fine, appends fail afterwards, nothing is materialized', async () => {
      const store = ctx.store();
      await store.discardThread(newId());
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await store.discardThread(threadId);
      await store.discardThread(threadId);
      await expectError(store.appendItems({ threadId, items: turnLines(newId(), 'x') }), ThreadNotFoundError);
      await expectError(store.readThread({ threadId }), ThreadNotFoundError);
      await expectError(store.resumeThread({ threadId, metadata: { modelProvider: 'openai' } }), ThreadNotFoundError);
      await store.createThread(createParams(threadId)); // the id is free again
    });

    it('discard keeps already-persisted lines; the thread can be resumed and appended to', async () => {
      const store = ctx.store();
      const first = turnLines(newId(), 'before discard');
      const threadId = await makeThread(store, { lines: first, keepLive: true });
      await store.discardThread(threadId);
      await expectError(store.appendItems({ threadId, items: [message('user', 'stale')] }), ThreadNotFoundError);
      await store.resumeThread({ threadId, metadata: { modelProvider: 'openai' } });
      const second = turnLines(newId(), 'after resume');
      await store.appendItems({ threadId, items: second });
      await store.shutdownThread(threadId);
      const history = await store.loadHistory({ threadId });
      expect(history.items.map((l) => l.type)).toEqual(['session_meta', ...first.map((l) => l.type), ...second.map((l) => l.type)]);
      expect(history.items.slice(1).map(withoutTs)).toEqual([...first, ...second]);
    });

    it('resume keeps the thread id and appends to the same history', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const before = await store.loadHistory({ threadId });
      await store.resumeThread({ threadId, history: before.items, metadata: { cwd: '/elsewhere', modelProvider: 'other' } });
      await store.appendItems({ threadId, items: [message('user', 'resumed')] });
      await store.shutdownThread(threadId);
      const after = await store.loadHistory({ threadId });
      expect(after.threadId).toBe(threadId);
      expect(after.items.slice(0, before.items.length)).toEqual(before.items);
      expect(after.items).toHaveLength(before.items.length + 1);
      // resume metadata is for future writes; the store changes nothing on its own
      expect((await store.readThread({ threadId })).cwd).toBe('/home/ada/project');
    });

    it('resume: unknown → ThreadNotFound; archived needs includeArchived', async () => {
      const store = ctx.store();
      await expectError(store.resumeThread({ threadId: newId(), metadata: { modelProvider: 'openai' } }), ThreadNotFoundError);
      const threadId = await makeThread(store);
      await store.archiveThread({ threadId });
      await expectError(store.resumeThread({ threadId, metadata: { modelProvider: 'openai' } }), InvalidRequestError, `thread ${threadId} is archived`);
      await store.resumeThread({ threadId, includeArchived: true, metadata: { modelProvider: 'openai' } });
      await store.appendItems({ threadId, items: [message('user', 'while archived')] });
      await store.shutdownThread(threadId);
      expect((await store.loadHistory({ threadId, includeArchived: true })).items.at(-1)?.payload).toMatchObject({ role: 'user' });
    });

    it('a thread whose only item is metadata-only (token_count) is still materialized', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await store.appendItems({ threadId, items: [event('token_count', { info: null, rate_limits: null })] });
      await store.shutdownThread(threadId);
      const history = await store.loadHistory({ threadId });
      expect(history.items.map((l) => l.type)).toEqual(['session_meta', 'event_msg']);
    });
  });
}

const ms = (iso: string): number => Date.parse(iso);
const withoutTs = (line: { timestamp?: string }): unknown => {
  const { timestamp: _ts, ...rest } = line;
  return rest;
};
