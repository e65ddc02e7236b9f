// Values the library cannot store (issue 15, point 4): items nested thousands of levels deep,
// cycles, BigInt, getters and toJSON that throw, and hostile values in every parameter of every
// method. Each one is a typed ThreadStoreError naming where (items[i] and the limit), nothing of the
// refused call is stored, and the thread stays writable — never a bare RangeError or TypeError
// from JSON.stringify, structuredClone or a recursion over the payload.
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, isThreadStoreError } from '../../../src/model/errors.js';
import { MAX_JSON_DEPTH } from '../../../src/model/jsonValue.js';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import { LiveThread } from '../../../src/live/LiveThread.js';
import type { ThreadStore } from '../../../src/store/ThreadStore.js';
import type { ContractContext } from '../harness.js';
import { createParams, expectError, json, makeThread, message, newId, turnLines } from '../helpers.js';

/** `{"a":{"a":…{"a":"bottom"}}}` with `levels` objects. */
function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i += 1) value = { a: value };
  return value;
}

/** A response item whose whole line nests `depth` arrays/objects (the line itself is level 1). */
function deepItem(depth: number): RolloutLine {
  // line (level 1) → payload (level 2) → arguments: nested(depth - 2) levels more
  return { type: 'response_item', payload: { type: 'function_call', name: 'deep', call_id: 'c1', arguments: nested(depth - 2) } } as RolloutLine;
}

function cyclic(): Record<string, unknown> {
  const value: Record<string, unknown> = { type: 'message', role: 'user', content: [] };
  value.self = value;
  return value;
}

const throwingGetter = (): Record<string, unknown> => ({
  type: 'message',
  get role(): string {
    throw new RangeError('getter blew up');
  },
});

/** Every item count the thread holds (its session_meta included). */
async function stored(store: ThreadStore, threadId: string): Promise<number> {
  return (await store.loadHistory({ threadId })).items.length;
}

export function hostileValuesSpec(ctx: ContractContext): void {
  describe('values the library cannot store', () => {
    it(`an item nested 5 000 levels deep is InvalidRequest naming items[i] and the limit of ${MAX_JSON_DEPTH}; nothing of the append is stored; the thread stays writable`, async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await store.appendItems({ threadId, items: turnLines(newId(), 'before') });
      const before = await stored(store, threadId);

      const error = await expectError(store.appendItems({ threadId, items: [message('user', 'kept?'), deepItem(5000)] }), InvalidRequestError);
      expect(error.path).toMatch(/^items\[1\]/);
      expect(error.message).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
      expect(await stored(store, threadId)).toBe(before);

      // One level over the limit is refused the same way; the limit itself is stored.
      await expectError(store.appendItems({ threadId, items: [deepItem(MAX_JSON_DEPTH + 1)] }), InvalidRequestError, /items\[0\]/);
      await store.appendItems({ threadId, items: [deepItem(MAX_JSON_DEPTH), message('user', 'after')] });
      const history = await store.loadHistory({ threadId });
      expect(history.items).toHaveLength(before + 2);
      expect(history.items[before]!.payload).toEqual(json(deepItem(MAX_JSON_DEPTH).payload));
      expect(history.items[before + 1]!.payload).toMatchObject({ role: 'user' });
      await store.shutdownThread(threadId);
      expect((await store.readThread({ threadId })).itemCount).toBe(before + 2);
    });

    it('LiveThread refuses the deep item the same way and keeps appending', async () => {
      const store = ctx.store();
      const threadId = newId();
      const live = await LiveThread.create(store, createParams(threadId), { logger: { warn: () => {} } });
      await live.append(turnLines(newId(), 'live before'));
      const error = await expectError(live.append([deepItem(5000)]), InvalidRequestError);
      expect(error.message).toMatch(/items\[0\].*deeper than 1000 levels/);
      await expectError(live.append('not an array' as unknown as RolloutLine[]), InvalidRequestError, /items/);
      await live.append([message('user', 'live after')]);
      await live.shutdown();
      expect(await stored(store, threadId)).toBe(1 + 6 + 1);
    });

    it('cycles, BigInt, throwing getters and toJSON in items are InvalidRequest naming the item; nothing stored', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await store.appendItems({ threadId, items: [message('user', 'start')] });
      const before = await stored(store, threadId);
      const bad: [string, unknown][] = [
        ['cycle', { type: 'response_item', payload: cyclic() }],
        ['bigint', { type: 'event_msg', payload: { type: 'token_count', info: { total: 10n } } }],
        ['getter', { type: 'response_item', payload: throwingGetter() }],
        ['toJSON', { type: 'event_msg', payload: { type: 'x', when: { toJSON: () => { throw new TypeError('no JSON for you'); } } } }],
      ];
      for (const [what, item] of bad) {
        const error = await expectError(store.appendItems({ threadId, items: [message('user', 'ok'), item as RolloutLine] }), InvalidRequestError);
        expect(error.path, what).toMatch(/^items\[1\]/);
      }
      expect(await stored(store, threadId)).toBe(before);
      await store.appendItems({ threadId, items: [message('user', 'still writable')] });
      expect(await stored(store, threadId)).toBe(before + 1);
    });

    it('deep or cyclic create params, metadata patches and list filters are InvalidRequest; nothing changes', async () => {
      const store = ctx.store();
      const threadId = newId();
      await expectError(store.createThread(createParams(threadId, { dynamicTools: [nested(5000)] })), InvalidRequestError, /dynamicTools/);
      await expectError(store.createThread(createParams(threadId, { source: { subagent: nested(5000) } as never })), InvalidRequestError, /source/);
      await expectError(store.createThread(createParams(threadId, { source: cyclic() as never })), InvalidRequestError, /source/);
      // Nothing was opened: the same id can be created now.
      await makeThread(store, { threadId });
      const before = await store.readThread({ threadId });

      const patches: unknown[] = [
        { permissionProfile: nested(5000) },
        { permissionProfile: cyclic() },
        { tokenUsage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1, reasoning_output_tokens: 0, total_tokens: 2, detail: nested(5000) } },
        { source: { custom: nested(5000) } },
        { permissionProfile: { n: 1n } },
      ];
      for (const patch of patches) {
        await expectError(store.updateThreadMetadata({ threadId, patch: patch as never }), InvalidRequestError, /patch\./);
      }
      expect(await store.readThread({ threadId })).toEqual(before);
      await expectError(store.listThreads({ allowedSources: [{ x: nested(5000) }] }), InvalidRequestError, /allowedSources/);
      await expectError(store.resumeThread({ threadId, history: [{ type: 'x', payload: nested(5000) }] as never, metadata: { modelProvider: 'openai' } }), InvalidRequestError, /history/);
      // Still writable.
      await store.resumeThread({ threadId, metadata: { modelProvider: 'openai' } });
      await store.appendItems({ threadId, items: [message('user', 'more')] });
      await store.shutdownThread(threadId);
      expect((await store.readThread({ threadId })).itemCount).toBe(before.itemCount + 1);
    });

    it('hostile values in every parameter of every method reject with a ThreadStoreError, never a plain JS error', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const live = newId();
      await store.createThread(createParams(live));
      // What JSON can carry (any of it may come straight from a request body), then values only
      // JavaScript can make. A proxy whose traps throw, passed as the whole params object, is left
      // out: the PostgreSQL store reads `params?.threadId` before validating (a hostile application
      // process is outside the threat model, SECURITY.md).
      const hostile: unknown[] = [undefined, null, 0, -1, 1.5, NaN, '', 'x', true, [], {}, [null], nested(5000), cyclic(), throwingGetter(), 10n, Symbol('s'), () => 1];
      // A valid call per method; each field is replaced by each hostile value in turn, then the whole argument.
      const calls: [string, Record<string, unknown>, (arg: unknown) => Promise<unknown>][] = [
        ['createThread', { ...createParams(newId()) }, (a) => store.createThread(a as never)],
        ['resumeThread', { threadId, metadata: { modelProvider: 'openai' } }, (a) => store.resumeThread(a as never)],
        ['appendItems', { threadId: live, items: [message('user', 'x')] }, (a) => store.appendItems(a as never)],
        ['appendItems(options)', { metadataPatch: { preview: 'p' } }, (a) => store.appendItems({ threadId: live, items: [message('user', 'y')] }, a as never)],
        ['loadHistory', { threadId, includeArchived: false }, (a) => store.loadHistory(a as never)],
        ['reconstructHistory', { threadId, includeArchived: false }, (a) => store.reconstructHistory(a as never)],
        ['readThread', { threadId, includeArchived: false, includeHistory: true }, (a) => store.readThread(a as never)],
        ['listThreads', { pageSize: 5, sortKey: 'created_at', cwdFilters: ['/x'], searchTerm: 'a', relationFilter: { kind: 'directChildrenOf', threadId } }, (a) => store.listThreads(a as never)],
        ['searchThreads', { searchTerm: 'hello', pageSize: 5 }, (a) => store.searchThreads(a as never)],
        ['listTurns', { threadId, pageSize: 5, itemsView: 'full' }, (a) => store.listTurns(a as never)],
        ['listItems', { threadId, pageSize: 5, turnId: 'x' }, (a) => store.listItems(a as never)],
        ['updateThreadMetadata', { threadId, patch: { name: 'n' } }, (a) => store.updateThreadMetadata(a as never)],
        ['archiveThread', { threadId: newId() }, (a) => store.archiveThread(a as never)],
        ['unarchiveThread', { threadId }, (a) => store.unarchiveThread(a as never)],
        ['deleteThread', { threadId: newId() }, (a) => store.deleteThread(a as never)],
        ['forkThread', { sourceThreadId: threadId, newThreadId: newId(), lastTurnId: null }, (a) => store.forkThread(a as never)],
      ];
      const byId: [string, (id: unknown) => Promise<unknown>][] = [
        ['persistThread', (id) => store.persistThread(id as never)],
        ['flushThread', (id) => store.flushThread(id as never)],
        ['shutdownThread', (id) => store.shutdownThread(id as never)],
        ['discardThread', (id) => store.discardThread(id as never)],
      ];
      const untyped: string[] = [];
      const attempt = async (label: string, call: () => Promise<unknown>): Promise<void> => {
        try {
          await call();
        } catch (error) {
          if (!isThreadStoreError(error)) untyped.push(`${label}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
        }
      };
      for (const [name, valid, call] of calls) {
        for (const [v, value] of hostile.entries()) {
          await attempt(`${name}(#${v})`, () => call(value));
          for (const field of Object.keys(valid)) await attempt(`${name}.${field}(#${v})`, () => call({ ...valid, [field]: value }));
        }
      }
      for (const [name, call] of byId) for (const [v, value] of hostile.entries()) await attempt(`${name}(#${v})`, () => call(value));
      expect(untyped).toEqual([]);
      // The thread and the live writer survived all of it.
      await store.appendItems({ threadId: live, items: [message('user', 'after the storm')] });
      expect((await store.loadHistory({ threadId })).items.length).toBeGreaterThan(1);
    });
  });
}
