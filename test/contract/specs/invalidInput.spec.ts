// Invalid input gets the same answer from every store (issue 16): each call is parsed once at the
// boundary both stores share (src/store/boundary.ts). For every method: an unknown key is
// InvalidRequest naming it (`includeHistroy`, `force`), a wrong type names the field, text a column
// cannot hold (U+0000, a lone surrogate) is InvalidRequest naming the field, and the limits hold
// (page sizes 1..1000, items per append, bytes per item, the tenant's quotas). Nothing of a refused
// call is stored, and nothing but a ThreadStoreError comes back — not even from a proxy whose traps
// throw, passed as the whole params object.
import { describe, expect, it } from 'vitest';
import { isThreadStoreError, type ThreadStoreError, type ThreadStoreErrorCode } from '../../../src/model/errors.js';
import type { ThreadStore } from '../../../src/store/ThreadStore.js';
import type { ContractContext } from '../harness.js';
import { createParams, makeThread, message, newId } from '../helpers.js';

const NUL = 'bad\u0000text';
const LONE = 'bad\ud800text';

/** The error a call fails with (asserting it fails with a ThreadStoreError). */
async function failure(call: Promise<unknown>): Promise<ThreadStoreError> {
  const outcome = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(outcome, 'the call succeeded').not.toBeNull();
  expect(isThreadStoreError(outcome), `not a ThreadStoreError: ${String(outcome)}`).toBe(true);
  return outcome as ThreadStoreError;
}

async function expectInvalid(call: Promise<unknown>, path: string | RegExp, code: ThreadStoreErrorCode = 'InvalidRequest'): Promise<void> {
  const error = await failure(call);
  expect(error.code, error.message).toBe(code);
  if (typeof path === 'string') expect(error.path).toBe(path);
  else expect(error.path).toMatch(path);
}

/** Every method of the contract called with `{...valid, ...extra}`; each must refuse `key`. */
function callsWith(store: ThreadStore, threadId: string, extra: Record<string, unknown>): [string, Promise<unknown>][] {
  const other = newId();
  return [
    ['createThread', store.createThread({ ...createParams(newId()), ...extra })],
    ['resumeThread', store.resumeThread({ threadId, metadata: { modelProvider: 'openai' }, ...extra })],
    ['appendItems', store.appendItems({ threadId, items: [message('user', 'x')], ...extra })],
    ['loadHistory', store.loadHistory({ threadId, ...extra })],
    ['reconstructHistory', store.reconstructHistory({ threadId, ...extra })],
    ['readThread', store.readThread({ threadId, ...extra })],
    ['listThreads', store.listThreads({ ...extra })],
    ['searchThreads', store.searchThreads({ searchTerm: 'x', ...extra })],
    ['listTurns', store.listTurns({ threadId, ...extra })],
    ['listItems', store.listItems({ threadId, ...extra })],
    ['updateThreadMetadata', store.updateThreadMetadata({ threadId, patch: {}, ...extra })],
    ['archiveThread', store.archiveThread({ threadId, ...extra })],
    ['unarchiveThread', store.unarchiveThread({ threadId, ...extra })],
    ['deleteThread', store.deleteThread({ threadId, ...extra })],
    ['forkThread', store.forkThread({ sourceThreadId: threadId, newThreadId: other, ...extra })],
  ];
}

export function invalidInputSpec(ctx: ContractContext): void {
  describe('invalid input (both stores answer alike)', () => {
    it('an unknown key is InvalidRequest naming it, for every method; nothing changes', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const before = await store.readThread({ threadId, includeHistory: true });
      for (const key of ['includeHistroy', 'force', 'tenantId']) {
        for (const [method, call] of callsWith(store, threadId, { [key]: true })) {
          const error = await failure(call);
          expect(error.code, `${method} ${key}`).toBe('InvalidRequest');
          expect(error.message, `${method} ${key}`).toContain(key);
        }
      }
      expect(await store.readThread({ threadId, includeHistory: true })).toEqual(before);
      // The two cases of the issue: the typo of includeHistory, and a flag archive does not have.
      await expectInvalid(store.readThread({ threadId, includeHistroy: true } as never), /^\(root\)$|^includeHistroy$/);
      await expectInvalid(store.archiveThread({ threadId, force: true } as never), /^\(root\)$|^force$/);
      expect((await store.readThread({ threadId })).archivedAt).toBeNull();
    });

    it('wrong types name the field, for every method', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      await expectInvalid(store.createThread({ ...createParams(newId()), originator: 7 } as never), 'originator');
      await expectInvalid(store.createThread({ ...createParams(newId()), metadata: { modelProvider: 'openai', cwd: ['/w'] } } as never), 'metadata.cwd');
      await expectInvalid(store.resumeThread({ threadId, metadata: { modelProvider: 'openai' }, includeArchived: 'yes' } as never), 'includeArchived');
      await expectInvalid(store.appendItems({ threadId, items: 'not an array' } as never), 'items');
      await expectInvalid(store.appendItems({ threadId, items: [message('user', 'x')] }, { metadataPatch: { preview: 3 } } as never), 'options.metadataPatch.preview');
      await expectInvalid(store.appendItems({ threadId, items: [message('user', 'x')] }, 'fast' as never), 'options');
      await expectInvalid(store.persistThread(42 as never), 'threadId');
      await expectInvalid(store.flushThread({ threadId } as never), 'threadId');
      await expectInvalid(store.shutdownThread('not-a-uuid'), 'threadId');
      await expectInvalid(store.discardThread(null as never), 'threadId');
      await expectInvalid(store.loadHistory({ threadId: 12 } as never), 'threadId');
      await expectInvalid(store.reconstructHistory({ threadId, includeArchived: 1 } as never), 'includeArchived');
      await expectInvalid(store.readThread({ threadId, includeHistory: 'yes' } as never), 'includeHistory');
      await expectInvalid(store.listThreads({ sortKey: 'name' } as never), 'sortKey');
      await expectInvalid(store.listThreads({ cwdFilters: '/w' } as never), 'cwdFilters');
      await expectInvalid(store.listThreads({ relationFilter: { kind: 'siblingsOf', threadId } } as never), /^relationFilter/);
      await expectInvalid(store.searchThreads({ searchTerm: '' }), 'searchTerm');
      await expectInvalid(store.listTurns({ threadId, itemsView: 'everything' } as never), 'itemsView');
      await expectInvalid(store.listItems({ threadId, sortDirection: 'up' } as never), 'sortDirection');
      await expectInvalid(store.updateThreadMetadata({ threadId, patch: { title: 5 } } as never), 'patch.title');
      await expectInvalid(store.updateThreadMetadata({ threadId, patch: { updatedAt: 'yesterday' } }), 'patch.updatedAt');
      await expectInvalid(store.archiveThread({ threadId: [threadId] } as never), 'threadId');
      await expectInvalid(store.unarchiveThread(undefined as never), '(root)');
      await expectInvalid(store.deleteThread('not an object' as never), '(root)');
      await expectInvalid(store.forkThread({ sourceThreadId: threadId, newThreadId: 'x' }), 'newThreadId');
      expect((await store.readThread({ threadId })).threadId).toBe(threadId);
    });

    it('U+0000 and lone surrogates in any text a column or a query holds are InvalidRequest naming the field; items keep them', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const before = await store.readThread({ threadId });
      for (const bad of [NUL, LONE]) {
        const created = newId();
        await expectInvalid(store.createThread(createParams(created, { originator: bad })), 'originator');
        await expectInvalid(store.createThread(createParams(created, { source: bad })), 'source');
        await expectInvalid(store.createThread(createParams(created, { agentNickname: bad })), 'agentNickname');
        await expectInvalid(store.createThread(createParams(created, { metadata: { cwd: bad, modelProvider: 'openai' } })), 'metadata.cwd');
        await expectInvalid(store.createThread(createParams(created, { metadata: { modelProvider: bad } })), 'metadata.modelProvider');
        await expectInvalid(store.createThread(createParams(created, { gitInfo: { branch: bad } })), 'gitInfo.branch');
        await expectInvalid(store.createThread(createParams(created, { gitInfo: { commit_hash: bad } })), 'gitInfo.commit_hash');
        expect((await failure(store.readThread({ threadId: created }))).code).toBe('ThreadNotFound');
        for (const field of ['name', 'title', 'preview', 'cwd', 'model', 'firstUserMessage', 'source'] as const) {
          await expectInvalid(store.updateThreadMetadata({ threadId, patch: { [field]: bad } }), `patch.${field}`);
        }
        await expectInvalid(store.updateThreadMetadata({ threadId, patch: { gitInfo: { sha: bad } } }), 'patch.gitInfo.sha');
        await expectInvalid(store.listThreads({ searchTerm: bad }), 'searchTerm');
        await expectInvalid(store.listThreads({ cwdFilters: ['/ok', bad] }), 'cwdFilters[1]');
        await expectInvalid(store.listThreads({ modelProviders: [bad] }), 'modelProviders[0]');
        await expectInvalid(store.listThreads({ allowedSources: [bad] }), 'allowedSources[0]');
        await expectInvalid(store.searchThreads({ searchTerm: bad }), 'searchTerm');
        await expectInvalid(store.listItems({ threadId, turnId: bad }), 'turnId');
        await expectInvalid(store.forkThread({ sourceThreadId: threadId, newThreadId: newId(), lastTurnId: bad }), 'lastTurnId');
      }
      expect(await store.readThread({ threadId })).toEqual(before);
      // Items are stored losslessly whatever text they hold.
      const live = newId();
      await store.createThread(createParams(live));
      await store.appendItems({ threadId: live, items: [message('user', NUL), message('assistant', LONE)] });
      const lines = (await store.loadHistory({ threadId: live })).items.slice(1);
      expect(lines.map((l) => (l.payload as { content: { text: string }[] }).content[0]!.text)).toEqual([NUL, LONE]);
    });

    it('limits: page sizes 1..1000, items per append, bytes per item — nothing of a refused call stored', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      for (const pageSize of [0, -1, 1001, 2.5]) {
        await expectInvalid(store.listThreads({ pageSize }), 'pageSize');
        await expectInvalid(store.searchThreads({ searchTerm: 'x', pageSize }), 'pageSize');
        await expectInvalid(store.listTurns({ threadId, pageSize }), 'pageSize');
        await expectInvalid(store.listItems({ threadId, pageSize }), 'pageSize');
      }
      expect((await store.listThreads({ pageSize: 1000 })).items.length).toBe(1);
      // Stores are built with the default limits (64 MiB, 100 000 items); a tenant's limits below.
      const live = newId();
      await store.createThread(createParams(live));
      const many = Array.from({ length: 100_001 }, () => message('user', 'x'));
      await expectInvalid(store.appendItems({ threadId: live, items: many }), 'items', 'ResourceExhausted');
      await expectInvalid(store.appendItems({ threadId: live, items: [message('user', 'ok'), message('user', 'x'.repeat(64 * 1024 * 1024 + 1))] }), 'items[1]', 'ResourceExhausted');
      expect((await failure(store.readThread({ threadId: live }))).code).toBe('ThreadNotFound');
    });

    it("a tenant's quotas: max threads refuses create and fork, max item bytes refuses a whole append", async (test) => {
      if (!ctx.setQuota) test.skip();
      const { tenantId, store } = ctx.tenant();
      const first = await makeThread(store);
      await ctx.setQuota!(tenantId, { maxThreads: 1, maxItemBytes: null });
      await expectInvalid(store.createThread(createParams(newId())), 'tenant.maxThreads', 'ResourceExhausted');
      await expectInvalid(store.forkThread({ sourceThreadId: first, newThreadId: newId() }), 'tenant.maxThreads', 'ResourceExhausted');
      await ctx.setQuota!(tenantId, { maxThreads: null, maxItemBytes: 1 });
      await store.resumeThread({ threadId: first, metadata: { modelProvider: 'openai' } });
      const before = (await store.loadHistory({ threadId: first })).items.length;
      await expectInvalid(store.appendItems({ threadId: first, items: [message('user', 'one more')] }), 'tenant.maxItemBytes', 'ResourceExhausted');
      expect((await store.loadHistory({ threadId: first })).items.length).toBe(before);
      await ctx.setQuota!(tenantId, { maxThreads: null, maxItemBytes: null });
      await store.appendItems({ threadId: first, items: [message('user', 'one more')] });
      await store.shutdownThread(first);
      expect((await store.loadHistory({ threadId: first })).items.length).toBe(before + 1);
    });

    it('a params object whose property reads throw (a Proxy, a getter) is InvalidRequest, never a plain error', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const hostile = new Proxy(
        {},
        {
          get() {
            throw new TypeError('trap');
          },
          ownKeys() {
            throw new TypeError('trap');
          },
          getOwnPropertyDescriptor() {
            throw new TypeError('trap');
          },
          has() {
            throw new TypeError('trap');
          },
        },
      );
      for (const [method, call] of [
        ['readThread', store.readThread(hostile as never)],
        ['loadHistory', store.loadHistory(hostile as never)],
        ['archiveThread', store.archiveThread(hostile as never)],
        ['deleteThread', store.deleteThread(hostile as never)],
        ['updateThreadMetadata', store.updateThreadMetadata(hostile as never)],
        ['listThreads', store.listThreads(hostile as never)],
        ['appendItems', store.appendItems(hostile as never)],
        ['createThread', store.createThread(hostile as never)],
      ] as const) {
        const error = await failure(call);
        expect(error.code, method).toBe('InvalidRequest');
      }
      const getter = { threadId, get includeArchived(): boolean { throw new RangeError('getter'); } };
      expect((await failure(store.readThread(getter))).code).toBe('InvalidRequest');
      expect((await store.readThread({ threadId })).threadId).toBe(threadId);
    });
  });
}
