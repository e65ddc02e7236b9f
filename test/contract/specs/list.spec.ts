// listThreads: defaults, visibility, filters, relation filters, ordering with id tie-breaks and the
// keyset cursor (spec §2.3 ListThreadsParams, §3.6, §13).
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/model/errors.js';
import type { ThreadStore } from '../../../src/store/ThreadStore.js';
import type { ContractContext } from '../harness.js';
import { FIXTURE } from '../fixtures.js';
import { createParams, expectError, ids, importFixture, iso, listAll, makeThread, makeThreadWithMetadata, ms, newId } from '../helpers.js';

const BASE = Date.UTC(2030, 0, 1);

async function threadsAt(store: ThreadStore, createdOffsets: number[]): Promise<string[]> {
  const out: string[] = [];
  for (const offset of createdOffsets) out.push((await makeThreadWithMetadata(store, { createdAt: iso(BASE + offset) })).threadId);
  return out;
}

export function listSpec(ctx: ContractContext): void {
  describe('listThreads', () => {
    it('defaults: 25 per page, created_at descending', async () => {
      const store = ctx.store();
      const created = await threadsAt(store, Array.from({ length: 27 }, (_, i) => i * 1000));
      const first = await store.listThreads();
      expect(first.items).toHaveLength(25);
      expect(ids(first.items)).toEqual([...created].reverse().slice(0, 25));
      expect(first.nextCursor).not.toBeNull();
      const second = await store.listThreads({ cursor: first.nextCursor });
      expect(ids(second.items)).toEqual([created[1], created[0]]);
      expect(second.nextCursor).toBeNull();
    });

    it('an empty tenant lists nothing', async () => {
      expect(await ctx.store().listThreads()).toEqual({ items: [], nextCursor: null });
    });

    it('active listings hide threads without a preview; archived lists only archived threads', async () => {
      const store = ctx.store();
      const visible = await makeThread(store);
      const hidden = await makeThread(store, { patch: null });
      const archived = await makeThread(store);
      const archivedHidden = await makeThread(store, { patch: null });
      await store.archiveThread({ threadId: archived });
      await store.archiveThread({ threadId: archivedHidden });
      expect(ids(await listAll(store))).toEqual([visible]);
      expect(new Set(ids(await listAll(store, { archived: true })))).toEqual(new Set([archived, archivedHidden]));
      await store.updateThreadMetadata({ threadId: hidden, patch: { preview: 'now visible' } });
      expect(new Set(ids(await listAll(store)))).toEqual(new Set([visible, hidden]));
    });

    it('allowedSources: empty = all; otherwise source ∈ list by JSON equality', async () => {
      const store = ctx.store();
      const parent = newId();
      const cli = (await makeThreadWithMetadata(store, {}, { source: 'cli' })).threadId;
      const vscode = (await makeThreadWithMetadata(store, {}, { source: 'vscode' })).threadId;
      const sub = (await makeThreadWithMetadata(store, {}, { source: { subagent: { thread_spawn: { parent_thread_id: parent, depth: 1 } } } })).threadId;
      expect(new Set(ids(await listAll(store, { allowedSources: [] })))).toEqual(new Set([cli, vscode, sub]));
      expect(ids(await listAll(store, { allowedSources: ['vscode'] }))).toEqual([vscode]);
      const reordered = { subagent: { thread_spawn: { depth: 1, parent_thread_id: parent } } };
      expect(new Set(ids(await listAll(store, { allowedSources: ['cli', reordered] })))).toEqual(new Set([cli, sub]));
      expect(await listAll(store, { allowedSources: ['exec'] })).toEqual([]);
    });

    it('modelProviders: null or [] = all providers; a list filters', async () => {
      const store = ctx.store();
      const a = (await makeThreadWithMetadata(store, { modelProvider: 'mockA' })).threadId;
      const b = (await makeThreadWithMetadata(store, { modelProvider: 'mockB' })).threadId;
      for (const modelProviders of [null, [], undefined]) {
        expect(new Set(ids(await listAll(store, { modelProviders })))).toEqual(new Set([a, b]));
      }
      expect(ids(await listAll(store, { modelProviders: ['mockB', 'other'] }))).toEqual([b]);
    });

    it('cwdFilters: [] matches no thread; a list filters exactly', async () => {
      const store = ctx.store();
      const a = (await makeThreadWithMetadata(store, { cwd: '/repo/a' })).threadId;
      const b = (await makeThreadWithMetadata(store, { cwd: '/repo/b' })).threadId;
      expect(await store.listThreads({ cwdFilters: [] })).toEqual({ items: [], nextCursor: null });
      expect(ids(await listAll(store, { cwdFilters: ['/repo/a'] }))).toEqual([a]);
      expect(ids(await listAll(store, { cwdFilters: ['/repo'] }))).toEqual([]);
      expect(new Set(ids(await listAll(store, { cwdFilters: null })))).toEqual(new Set([a, b]));
    });

    it('searchTerm: case-sensitive substring of name, title or preview', async () => {
      const store = ctx.store();
      const byName = (await makeThreadWithMetadata(store, { name: 'Deploy Checklist', preview: 'p1', title: 't1' })).threadId;
      const byTitle = (await makeThreadWithMetadata(store, { title: 'fix the deploy script', preview: 'p2' })).threadId;
      const byPreview = (await makeThreadWithMetadata(store, { preview: 'why does deploy fail' })).threadId;
      await makeThreadWithMetadata(store, { preview: 'unrelated', title: 'unrelated' });
      expect(new Set(ids(await listAll(store, { searchTerm: 'deploy' })))).toEqual(new Set([byTitle, byPreview]));
      expect(ids(await listAll(store, { searchTerm: 'Deploy' }))).toEqual([byName]);
      expect(await listAll(store, { searchTerm: 'DEPLOY' })).toEqual([]);
      expect(ids(await listAll(store, { searchTerm: '%' }))).toEqual([]);
    });

    it('relation filters follow spawn edges, exclude the ancestor and include preview-less threads', async () => {
      const store = ctx.store();
      const root = await makeThread(store);
      const child = newId();
      const grandchild = newId();
      const sibling = newId();
      await makeThread(store, { threadId: child, patch: null, create: { parentThreadId: root } });
      await makeThread(store, { threadId: sibling, create: { parentThreadId: root } });
      await makeThread(store, { threadId: grandchild, patch: null, create: { parentThreadId: child } });
      const unrelated = await makeThread(store);
      expect(new Set(ids(await listAll(store, { relationFilter: { kind: 'directChildrenOf', threadId: root } })))).toEqual(new Set([child, sibling]));
      expect(new Set(ids(await listAll(store, { relationFilter: { kind: 'descendantsOf', threadId: root } })))).toEqual(new Set([child, sibling, grandchild]));
      expect(ids(await listAll(store, { relationFilter: { kind: 'directChildrenOf', threadId: child } }))).toEqual([grandchild]);
      expect(await listAll(store, { relationFilter: { kind: 'descendantsOf', threadId: unrelated } })).toEqual([]);
      expect(await listAll(store, { relationFilter: { kind: 'descendantsOf', threadId: newId() } })).toEqual([]);
      // other filters still apply
      await store.archiveThread({ threadId: sibling });
      expect(ids(await listAll(store, { relationFilter: { kind: 'directChildrenOf', threadId: root } }))).toEqual([child]);
      expect(ids(await listAll(store, { archived: true, relationFilter: { kind: 'directChildrenOf', threadId: root } }))).toEqual([sibling]);
    });

    it('a real sub-agent rollout records its spawn edge', async () => {
      const store = ctx.store();
      const parent = await importFixture(store, FIXTURE.subagentParent, { deriveMetadata: true });
      const child = await importFixture(store, FIXTURE.subagentChild, { deriveMetadata: true });
      const listed = await listAll(store, { relationFilter: { kind: 'directChildrenOf', threadId: parent.threadId } });
      expect(ids(listed)).toEqual([child.threadId]);
      expect(listed[0]).toMatchObject({ parentThreadId: parent.threadId, agentNickname: 'Popper', threadSource: 'subagent' });
    });

    it('orders by every sort key in both directions with id tie-breaks', async () => {
      const store = ctx.store();
      const threads = [];
      for (let i = 0; i < 6; i += 1) {
        threads.push(
          await makeThreadWithMetadata(store, {
            createdAt: iso(BASE + (i % 2) * 1000), // ties in pairs
            updatedAt: iso(BASE - 100_000 + (i % 3) * 5_000),
            advanceRecencyAt: iso(BASE + 500_000 + i * 1000),
          }),
        );
      }
      const current = await Promise.all(threads.map((t) => store.readThread({ threadId: t.threadId })));
      for (const sortKey of ['created_at', 'updated_at', 'recency_at'] as const) {
        const field = sortKey === 'created_at' ? 'createdAt' : sortKey === 'updated_at' ? 'updatedAt' : 'recencyAt';
        const asc = [...current].sort((a, b) => ms(a[field]) - ms(b[field]) || (a.threadId < b.threadId ? -1 : 1));
        expect(ids(await listAll(store, { sortKey, sortDirection: 'asc', pageSize: 4 }))).toEqual(ids(asc));
        expect(ids(await listAll(store, { sortKey, sortDirection: 'desc', pageSize: 4 }))).toEqual(ids(asc).reverse());
        expect(ids(await listAll(store, { sortKey, sortDirection: 'desc', pageSize: 1 }))).toEqual(ids(asc).reverse());
      }
    });

    it('pages neither repeat nor skip rows when threads are inserted between pages', async () => {
      const store = ctx.store();
      const original = await threadsAt(store, [0, 0, 1000, 2000, 2000, 2000, 3000]);
      const seen: string[] = [];
      let cursor: string | null = null;
      let round = 0;
      do {
        const page = await store.listThreads({ pageSize: 2, cursor });
        seen.push(...ids(page.items));
        cursor = page.nextCursor;
        // insert newer, older and tied threads
        await threadsAt(store, [5000 + round, -5000 - round, 2000]);
        round += 1;
      } while (cursor !== null);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of original) expect(seen).toContain(id);
      const positions = original.map((id) => seen.indexOf(id));
      const expected = [...original].sort((a, b) => seen.indexOf(a) - seen.indexOf(b));
      expect(positions.every((p) => p >= 0)).toBe(true);
      const asListed = (await Promise.all(original.map((threadId) => store.readThread({ threadId })))).sort(
        (a, b) => ms(b.createdAt) - ms(a.createdAt) || (a.threadId < b.threadId ? 1 : -1),
      );
      expect(expected).toEqual(ids(asListed));
    });

    it('rejects malformed, forged and foreign cursors and bad page sizes', async () => {
      const store = ctx.store();
      await threadsAt(store, [0, 1000, 2000]);
      const threadId = await makeThread(store);
      const itemsCursor = (await store.listItems({ threadId, pageSize: 1 })).nextCursor!;
      const forged = [
        'not a cursor!',
        'AAAA',
        Buffer.from('{"k":"threads"', 'utf8').toString('base64url'),
        Buffer.from('[1,2]', 'utf8').toString('base64url'),
        Buffer.from('{"k":"threads"}', 'utf8').toString('base64url'),
        Buffer.from('{"k":"threads","v":"DROP TABLE","id":"x"}', 'utf8').toString('base64url'),
        itemsCursor,
      ];
      for (const cursor of forged) {
        const error = await expectError(store.listThreads({ cursor }), InvalidRequestError);
        expect(error.message).toMatch(/cursor/);
      }
      const { nextCursor } = await store.listThreads({ pageSize: 1, sortKey: 'created_at' });
      await expectError(store.listThreads({ cursor: nextCursor, sortKey: 'updated_at' }), InvalidRequestError);
      await expectError(store.listThreads({ pageSize: 0 }), InvalidRequestError);
      await expectError(store.listThreads({ pageSize: 1.5 }), InvalidRequestError);
      await expectError(store.listThreads({ sortKey: 'name' as never }), InvalidRequestError);
    });

    it('a thread that is live but not materialized is not listed', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      expect(await listAll(store, { archived: false })).toEqual([]);
      expect(await listAll(store, { archived: true })).toEqual([]);
    });
  });
}
