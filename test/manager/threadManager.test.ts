// ThreadManager (spec §6.1, §9, §13 "Routing"): metadata updates of a loaded thread go through its
// LiveThread — after its pending appends, with pending derived metadata flushed first — those of a
// cold thread straight to the store (ThreadNotFound passes through); ephemeral threads refuse
// them; setThreadName trims and rejects empty names; create / resume / fork entry points, with the
// init guard discarding a thread whose initialization failed.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../src/model/errors.js';
import { newUuidV7 } from '../../src/model/ids.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import { ThreadManager } from '../../src/manager/ThreadManager.js';
import { useTestStore } from '../helpers/database.js';
import { createParamsFromMeta, FIXTURE, loadFixture } from '../contract/fixtures.js';
import { payloadType, SpyStore, storedItems, track } from '../live/helpers.js';

const ctx = useTestStore();

const IF = FIXTURE.interruptFail;
const rollout = () => loadFixture(IF);
const params = (overrides = {}) => createParamsFromMeta(rollout().meta, overrides);

/** Turn `n` of the sample thread (task_started .. before the next). */
function turn(n: number): RolloutLine[] {
  const lines = rollout().lines;
  const starts = lines.flatMap((l, i) => (payloadType(l) === 'task_started' ? [i] : []));
  return lines.slice(starts[n], starts[n + 1] ?? lines.length);
}
const assistant = (): RolloutLine => structuredClone(rollout().lines.find((l) => l.type === 'response_item' && (l.payload as { role?: string }).role === 'assistant')!);
const firstText = (n: number) => {
  const line = turn(n).find((l) => payloadType(l) === 'item_completed' && (l.payload as { item: { type: string } }).item.type === 'UserMessage')!;
  return (line.payload as { item: { content: { type: string; text?: string }[] } }).item.content.filter((c) => c.type === 'text').map((c) => c.text).join('');
};

function setup(clock?: () => number): { spy: SpyStore; manager: ThreadManager } {
  const spy = new SpyStore(ctx.service.forTenant(randomUUID()));
  const manager = new ThreadManager(spy.store, clock ? { liveThread: { clock } } : {});
  return { spy, manager };
}

describe('ThreadManager.updateThreadMetadata routing', () => {
  it('loaded thread: through its LiveThread, ordered after its pending appends, pending derived metadata flushed first', async () => {
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const { spy, manager } = setup(() => now);
    await manager.createThread(params());
    await manager.appendRolloutItems(IF, turn(0));
    now += 1000;
    // not awaited: the update must still come after it
    const append = track(manager.appendRolloutItems(IF, [assistant()]));
    const updated = await manager.updateThreadMetadata(IF, { name: 'Loaded rename' });
    expect(append.settled()).toBe(true);
    const appendCall = spy.callsOf('appendItems').at(-1)!;
    const writes = spy.callsOf('updateThreadMetadata');
    expect(writes.map((w) => (w.args[0] as { patch: unknown }).patch)).toEqual([{ updatedAt: new Date(now).toISOString() }, { name: 'Loaded rename' }]);
    expect(writes[0]!.startedAt).toBeGreaterThan(appendCall.settledAt!);
    expect(updated).toMatchObject({ name: 'Loaded rename', updatedAt: new Date(now).toISOString(), preview: firstText(0) });
    await manager.shutdownAll();
  });

  it('cold thread: straight to the store, with the caller\'s includeArchived', async () => {
    const { spy, manager } = setup();
    await manager.createThread(params());
    await manager.appendRolloutItems(IF, turn(0));
    await manager.shutdownThread(IF);
    expect(manager.getThread(IF)).toBeUndefined();
    spy.reset();
    const updated = await manager.updateThreadMetadata(IF, { name: 'Cold rename' });
    expect(spy.calls.map((c) => c.op)).toEqual(['updateThreadMetadata']);
    expect(spy.calls[0]!.args[0]).toEqual({ threadId: IF, patch: { name: 'Cold rename' }, includeArchived: false });
    expect(updated.name).toBe('Cold rename');
    await spy.store.archiveThread({ threadId: IF });
    await expect(manager.updateThreadMetadata(IF, { name: 'x' })).rejects.toThrow(/is archived/);
    expect((await manager.updateThreadMetadata(IF, { name: 'Archived rename' }, { includeArchived: true })).name).toBe('Archived rename');
  });

  it('cold unknown thread: the store\'s ThreadNotFound passes through', async () => {
    const { manager } = setup();
    const id = newUuidV7();
    const error = await manager.updateThreadMetadata(id, { name: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThreadNotFoundError);
    expect((error as Error).message).toBe(`thread ${id} not found`);
  });

  it('loaded ephemeral thread: InvalidRequest "ephemeral thread does not support metadata updates: <id>", nothing stored', async () => {
    const { spy, manager } = setup();
    const id = newUuidV7();
    const loaded = await manager.createThread(params({ threadId: id }), { ephemeral: true });
    expect(loaded).toEqual({ threadId: id, ephemeral: true, liveThread: null });
    await manager.appendRolloutItems(id, turn(0)); // recorded nowhere
    for (const attempt of [manager.updateThreadMetadata(id, { name: 'x' }), manager.setThreadName(id, 'named')]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toBe(`invalid thread-store request: ephemeral thread does not support metadata updates: ${id}`);
    }
    expect(spy.calls).toEqual([]);
    await manager.shutdownThread(id);
    expect(manager.getThread(id)).toBeUndefined();
  });

  it('a thread whose LiveThread was closed directly is treated as cold', async () => {
    const { spy, manager } = setup();
    const loaded = await manager.createThread(params());
    await manager.appendRolloutItems(IF, turn(0));
    await loaded.liveThread!.shutdown();
    expect(manager.loadedThreadIds()).toEqual([]);
    spy.reset();
    expect((await manager.updateThreadMetadata(IF, { name: 'cold now' })).name).toBe('cold now');
    expect(spy.calls.map((c) => c.op)).toEqual(['updateThreadMetadata']);
  });
});

describe('ThreadManager.setThreadName', () => {
  it('rejects empty and whitespace-only names; trims the name it stores', async () => {
    const { spy, manager } = setup();
    await manager.createThread(params());
    await manager.appendRolloutItems(IF, turn(0));
    for (const bad of ['', '   ', '\n\t ']) await expect(manager.setThreadName(IF, bad)).rejects.toBeInstanceOf(InvalidRequestError);
    expect(spy.callsOf('updateThreadMetadata')).toEqual([]);
    expect((await manager.setThreadName(IF, '  Spaced name  ')).name).toBe('Spaced name');
    await manager.shutdownThread(IF);
    expect((await manager.setThreadName(IF, 'Cold name')).name).toBe('Cold name');
  });
});

describe('ThreadManager entry points', () => {
  it('create / resume register the thread; a second load of the same id is refused; appends go to the loaded thread', async () => {
    const { spy, manager } = setup();
    await manager.createThread(params());
    await expect(manager.createThread(params())).rejects.toBeInstanceOf(InvalidRequestError);
    await manager.appendRolloutItems(IF, turn(0));
    await manager.shutdownThread(IF);
    await expect(manager.appendRolloutItems(IF, turn(1))).rejects.toBeInstanceOf(ThreadNotFoundError);
    await manager.resumeThread({ threadId: IF, metadata: { cwd: null, modelProvider: 'mockB' } });
    await expect(manager.resumeThread({ threadId: IF, metadata: { cwd: null, modelProvider: 'mockB' } })).rejects.toBeInstanceOf(InvalidRequestError);
    await manager.appendRolloutItems(IF, turn(1));
    expect(manager.loadedThreadIds()).toEqual([IF]);
    await manager.shutdownAll();
    expect(manager.loadedThreadIds()).toEqual([]);
    const items = await storedItems(spy.store, IF);
    expect(items).toHaveLength(1 + turn(0).length + turn(1).length);
  });

  it('a failed init discards the thread and leaves it unloaded; the id can be loaded again', async () => {
    const { spy, manager } = setup();
    await expect(
      manager.createThread(params(), {
        init: async (thread) => {
          await thread.append(turn(0));
          throw new Error('init failed');
        },
      }),
    ).rejects.toThrow('init failed');
    expect(manager.getThread(IF)).toBeUndefined();
    expect(spy.callsOf('discardThread')).toHaveLength(1);
    // the durable prefix survived the discard; the writer was released
    const loaded = await manager.resumeThread({ threadId: IF, metadata: { cwd: null, modelProvider: 'mockB' } }, { init: async (t) => t.append(turn(1)) });
    expect(loaded.liveThread!.isOpen).toBe(true);
    await manager.shutdownAll();
    expect(await storedItems(spy.store, IF)).toHaveLength(1 + turn(0).length + turn(1).length);
  });

  it('fork: a loaded source is flushed first; the fork keeps the lineage preview, takes its own title; resuming it later keeps both', async () => {
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const { spy, manager } = setup(() => now);
    await manager.createThread(params());
    await manager.appendRolloutItems(IF, turn(0));
    now += 1000;
    await manager.appendRolloutItems(IF, [assistant()]); // pending touch on the source
    const forkId = newUuidV7();
    const fork = await manager.forkThread({ sourceThreadId: IF, newThreadId: forkId, metadata: { cwd: '/fork/cwd', modelProvider: 'forkProvider' } });
    // the source's pending touch was written before the fork copied its row
    const sourceFlush = spy.callsOf('updateThreadMetadata')[0]!;
    expect(sourceFlush.args[0]).toMatchObject({ threadId: IF, patch: { updatedAt: new Date(now).toISOString() } });
    expect(sourceFlush.settledAt!).toBeLessThan(spy.callsOf('forkThread')[0]!.startedAt);
    expect(fork.liveThread!.isOpen).toBe(true);
    let t = await fork.liveThread!.readThread();
    expect(t).toMatchObject({ forkedFromId: IF, preview: firstText(0), modelProvider: 'forkProvider', cwd: '/fork/cwd' });
    // the fork's own first message: title / first_user_message, but not the lineage preview
    await manager.appendRolloutItems(forkId, turn(1));
    t = await fork.liveThread!.readThread();
    expect(t).toMatchObject({ preview: firstText(0), title: firstText(1), firstUserMessage: firstText(1), modelProvider: 'forkProvider' });
    await manager.shutdownThread(forkId);
    // resumed later: the inherited lines are not re-observed as the fork's own
    await manager.resumeThread({ threadId: forkId, metadata: { cwd: null, modelProvider: 'other' } });
    await manager.appendRolloutItems(forkId, turn(2));
    t = await manager.store.readThread({ threadId: forkId });
    expect(t).toMatchObject({ preview: firstText(0), title: firstText(1), firstUserMessage: firstText(1) });
    // the fork's history: its own session_meta, the source's lines, then its own
    const items = await storedItems(spy.store, forkId);
    expect(items.map((i) => i.seq)).toEqual(items.map((_, i) => i));
    expect(items).toHaveLength(1 + 1 + turn(0).length + 1 + turn(1).length + turn(2).length);
    await manager.shutdownAll();
  });

  it('fork of a cold source with a fresh id; a failing fork init discards the fork', async () => {
    const { spy, manager } = setup();
    await manager.createThread(params());
    await manager.appendRolloutItems(IF, turn(0));
    await manager.shutdownThread(IF);
    const fork = await manager.forkThread({ sourceThreadId: IF });
    expect(fork.threadId).not.toBe(IF);
    expect((await fork.liveThread!.readThread()).forkedFromId).toBe(IF);
    await expect(
      manager.forkThread({ sourceThreadId: IF }, {
        init: async () => {
          throw new Error('fork init failed');
        },
      }),
    ).rejects.toThrow('fork init failed');
    expect(spy.callsOf('discardThread')).toHaveLength(1);
    expect(manager.loadedThreadIds()).toEqual([fork.threadId]);
    await manager.shutdownAll();
  });
});
