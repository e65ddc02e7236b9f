// listTurns / listItems: turn projection of real rollouts, views, keyset pagination in both
// directions with next and backwards cursors (spec §2.3 ListTurnsParams / ListItemsParams).
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../../src/model/errors.js';
import type { SortDirection, StoredThreadItem, StoredTurn } from '../../../src/model/params.js';
import type { ThreadStore } from '../../../src/store/ThreadStore.js';
import type { ContractContext } from '../harness.js';
import { FIXTURE, INTERRUPT_FAIL_STATUSES, fixtureTurnIds } from '../fixtures.js';
import { event, expectError, importFixture, json, makeThread, message, newId, turnLines } from '../helpers.js';

async function allTurns(store: ThreadStore, threadId: string, sortDirection: SortDirection, pageSize: number): Promise<StoredTurn[]> {
  const out: StoredTurn[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listTurns({ threadId, sortDirection, pageSize, cursor, itemsView: 'notLoaded' });
    expect(page.turns.length).toBeLessThanOrEqual(pageSize);
    out.push(...page.turns);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

async function allItems(store: ThreadStore, threadId: string, sortDirection: SortDirection, pageSize: number, turnId?: string): Promise<StoredThreadItem[]> {
  const out: StoredThreadItem[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listItems({ threadId, sortDirection, pageSize, cursor, turnId });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

export function turnsItemsSpec(ctx: ContractContext): void {
  describe('listTurns', () => {
    it('projects the turns and statuses of a real rollout (app-interrupt-fail)', async () => {
      const store = ctx.store();
      const { threadId, lines } = await importFixture(store, FIXTURE.interruptFail);
      const page = await store.listTurns({ threadId, sortDirection: 'asc', pageSize: 50 });
      expect(page.turns.map((t) => t.turnId)).toEqual(fixtureTurnIds(lines));
      expect(page.turns.map((t) => t.status)).toEqual([...INTERRUPT_FAIL_STATUSES]);
      expect(page.nextCursor).toBeNull();
      const [completed, interrupted, streamFail, httpFail] = page.turns;
      expect(completed!.error).toBeNull();
      expect(interrupted!.error).toBeNull();
      expect(streamFail!.error?.message).toMatch(/stream disconnected/);
      expect(httpFail!.error?.message.length).toBeGreaterThan(0);
      for (const turn of page.turns) {
        expect(turn.itemsView).toBe('summary');
        expect(typeof turn.startedAt).toBe('number');
        expect(typeof turn.completedAt).toBe('number');
        expect(typeof turn.durationMs).toBe('number');
        expect(typeof turn.turnCreatedAtMs).toBe('number');
      }
    });

    it('defaults to newest first', async () => {
      const store = ctx.store();
      const { threadId, lines } = await importFixture(store, FIXTURE.interruptFail);
      const page = await store.listTurns({ threadId });
      expect(page.turns.map((t) => t.turnId)).toEqual(fixtureTurnIds(lines).reverse());
    });

    it('items views: notLoaded = none, full = every line of the turn, summary = user messages + final agent message', async () => {
      const store = ctx.store();
      const { threadId, lines } = await importFixture(store, FIXTURE.interruptFail);
      const turnId = fixtureTurnIds(lines)[0]!;
      const history = await store.loadHistory({ threadId });
      const items = await allItems(store, threadId, 'asc', 1000, turnId);
      const notLoaded = (await store.listTurns({ threadId, sortDirection: 'asc', pageSize: 1, itemsView: 'notLoaded' })).turns[0]!;
      expect(notLoaded.items).toEqual([]);
      expect(notLoaded.itemsView).toBe('notLoaded');
      const full = (await store.listTurns({ threadId, sortDirection: 'asc', pageSize: 1, itemsView: 'full' })).turns[0]!;
      expect(full.items).toEqual(items.map((i) => i.line));
      expect(full.items.length).toBeGreaterThan(5);
      for (const line of full.items) expect(history.items).toContainEqual(line);
      const summary = (await store.listTurns({ threadId, sortDirection: 'asc', pageSize: 1, itemsView: 'summary' })).turns[0]!;
      const messages = full.items.filter((l) => l.type === 'response_item' && (l.payload as { type?: string }).type === 'message');
      const users = messages.filter((l) => (l.payload as { role?: string }).role === 'user');
      const lastAgent = messages.filter((l) => (l.payload as { role?: string }).role === 'assistant').at(-1);
      expect(summary.items).toEqual([...users, lastAgent]);
    });

    it('a turn without a terminal event is inProgress', async () => {
      const store = ctx.store();
      const done = newId();
      const open = newId();
      const threadId = await makeThread(store, { lines: [...turnLines(done, 'one'), event('task_started', { turn_id: open }), message('user', 'two')] });
      const page = await store.listTurns({ threadId, sortDirection: 'asc' });
      expect(page.turns.map((t) => [t.turnId, t.status])).toEqual([
        [done, 'completed'],
        [open, 'inProgress'],
      ]);
    });

    it('a resumed thread continues its open turn', async () => {
      const store = ctx.store();
      const open = newId();
      const threadId = await makeThread(store, { lines: [event('task_started', { turn_id: open }), message('user', 'start')] });
      await store.resumeThread({ threadId, metadata: { modelProvider: 'openai' } });
      await store.appendItems({ threadId, items: [message('assistant', 'done'), event('task_complete', { turn_id: open })] });
      await store.shutdownThread(threadId);
      const turns = (await store.listTurns({ threadId, itemsView: 'full' })).turns;
      expect(turns.map((t) => [t.turnId, t.status, t.items.length])).toEqual([[open, 'completed', 4]]);
    });

    it('pages both directions; the backwards cursor pages back with the opposite direction', async () => {
      const store = ctx.store();
      const { threadId, lines } = await importFixture(store, FIXTURE.interruptFail);
      const order = fixtureTurnIds(lines);
      for (const pageSize of [1, 2, 3, 7, 8]) {
        expect((await allTurns(store, threadId, 'asc', pageSize)).map((t) => t.turnId)).toEqual(order);
        expect((await allTurns(store, threadId, 'desc', pageSize)).map((t) => t.turnId)).toEqual([...order].reverse());
      }
      const first = await store.listTurns({ threadId, sortDirection: 'desc', pageSize: 2 });
      const second = await store.listTurns({ threadId, sortDirection: 'desc', pageSize: 2, cursor: first.nextCursor });
      expect(second.turns.map((t) => t.turnId)).toEqual([order[4], order[3]]);
      expect(second.backwardsCursor).not.toBeNull();
      const back = await store.listTurns({ threadId, sortDirection: 'asc', pageSize: 10, cursor: second.backwardsCursor });
      expect(back.turns.map((t) => t.turnId)).toEqual([order[5], order[6]]);
      expect(back.nextCursor).toBeNull();
      // catching up: the first page's backwards cursor later returns newer turns
      const newest = await store.listTurns({ threadId, sortDirection: 'desc', pageSize: 1 });
      await store.resumeThread({ threadId, metadata: { modelProvider: 'mockB' } });
      const added = newId();
      await store.appendItems({ threadId, items: turnLines(added, 'one more') });
      await store.shutdownThread(threadId);
      const caughtUp = await store.listTurns({ threadId, sortDirection: 'asc', cursor: newest.backwardsCursor });
      expect(caughtUp.turns.map((t) => t.turnId)).toEqual([added]);
    });

    it('unknown thread → ThreadNotFound; archived needs includeArchived; bad cursors → InvalidRequest', async () => {
      const store = ctx.store();
      await expectError(store.listTurns({ threadId: newId() }), ThreadNotFoundError);
      const threadId = await makeThread(store, { lines: [...turnLines(newId(), 'a'), ...turnLines(newId(), 'b')] });
      const { nextCursor } = await store.listTurns({ threadId, pageSize: 1, sortDirection: 'desc' });
      expect(nextCursor).not.toBeNull();
      await expectError(store.listTurns({ threadId, cursor: nextCursor, sortDirection: 'asc' }), InvalidRequestError);
      await expectError(store.listTurns({ threadId, cursor: 'nope!' }), InvalidRequestError);
      const itemsCursor = (await store.listItems({ threadId, pageSize: 1 })).nextCursor;
      await expectError(store.listTurns({ threadId, cursor: itemsCursor }), InvalidRequestError);
      await store.archiveThread({ threadId });
      await expectError(store.listTurns({ threadId }), InvalidRequestError, /is archived/);
      expect((await store.listTurns({ threadId, includeArchived: true })).turns).toHaveLength(2);
    });
  });

  describe('listItems', () => {
    it('lists every line with seq, itemKey, itemOrdinal, turn id and creation time', async () => {
      const store = ctx.store();
      const { threadId, lines } = await importFixture(store, FIXTURE.execResume);
      const items = await allItems(store, threadId, 'asc', 1000);
      const history = await store.loadHistory({ threadId });
      expect(items.map((i) => i.line)).toEqual(history.items);
      expect(items.slice(1).map((i) => i.line)).toEqual(json(lines));
      items.forEach((item, index) => {
        expect(item.seq).toBe(index);
        expect(item.itemOrdinal).toBe(index);
        expect(item.itemKey).toBe(`${threadId}:${index}`);
        expect(item.itemCreatedAtMs).toBe(Date.parse(item.line.timestamp));
      });
      expect(items[0]!.turnId).toBeNull(); // session_meta
      const turnIds = fixtureTurnIds(lines);
      expect([...new Set(items.map((i) => i.turnId).filter((t) => t !== null))]).toEqual(turnIds);
      // the default direction is newest first
      const newest = await store.listItems({ threadId, pageSize: 3 });
      expect(newest.items.map((i) => i.seq)).toEqual([items.length - 1, items.length - 2, items.length - 3]);
    });

    it('turnId restricts to one turn; an unknown turn gives an empty page', async () => {
      const store = ctx.store();
      const { threadId, lines } = await importFixture(store, FIXTURE.interruptFail);
      const all = await allItems(store, threadId, 'asc', 1000);
      for (const turnId of fixtureTurnIds(lines)) {
        const own = await allItems(store, threadId, 'asc', 4, turnId);
        expect(own).toEqual(all.filter((i) => i.turnId === turnId));
        expect(own.length).toBeGreaterThan(0);
      }
      expect((await store.listItems({ threadId, turnId: 'no-such-turn' })).items).toEqual([]);
    });

    it('pages both directions with next and backwards cursors', async () => {
      const store = ctx.store();
      const { threadId } = await importFixture(store, FIXTURE.interruptFail);
      const asc = await allItems(store, threadId, 'asc', 1000);
      for (const pageSize of [1, 7, 25, 62, 100]) {
        expect((await allItems(store, threadId, 'asc', pageSize)).map((i) => i.seq)).toEqual(asc.map((i) => i.seq));
        expect((await allItems(store, threadId, 'desc', pageSize)).map((i) => i.seq)).toEqual(asc.map((i) => i.seq).reverse());
      }
      const p1 = await store.listItems({ threadId, sortDirection: 'asc', pageSize: 10 });
      const p2 = await store.listItems({ threadId, sortDirection: 'asc', pageSize: 10, cursor: p1.nextCursor });
      expect(p2.items.map((i) => i.seq)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
      const back = await store.listItems({ threadId, sortDirection: 'desc', pageSize: 4, cursor: p2.backwardsCursor });
      expect(back.items.map((i) => i.seq)).toEqual([9, 8, 7, 6]);
      const empty = await store.listItems({ threadId, sortDirection: 'desc', pageSize: 4, cursor: (await store.listItems({ threadId, sortDirection: 'asc', pageSize: 1 })).backwardsCursor });
      expect(empty.items).toEqual([]);
      expect(empty.nextCursor).toBeNull();
    });

    it('unknown thread → ThreadNotFound; archived needs includeArchived; bad cursors → InvalidRequest', async () => {
      const store = ctx.store();
      await expectError(store.listItems({ threadId: newId() }), ThreadNotFoundError);
      const threadId = await makeThread(store);
      const { nextCursor } = await store.listItems({ threadId, pageSize: 1, sortDirection: 'asc' });
      await expectError(store.listItems({ threadId, cursor: nextCursor, sortDirection: 'desc' }), InvalidRequestError);
      await expectError(store.listItems({ threadId, cursor: Buffer.from('{"k":"items","d":"asc","p":"x"}').toString('base64url'), sortDirection: 'asc' }), InvalidRequestError);
      const turnsCursor = (await store.listTurns({ threadId: await makeThread(store, { lines: [...turnLines(newId(), 'a'), ...turnLines(newId(), 'b')] }), pageSize: 1 })).nextCursor;
      await expectError(store.listItems({ threadId, cursor: turnsCursor }), InvalidRequestError);
      await expectError(store.listItems({ threadId, pageSize: 5000 }), InvalidRequestError);
      await store.archiveThread({ threadId });
      await expectError(store.listItems({ threadId }), InvalidRequestError, /is archived/);
      expect((await store.listItems({ threadId, includeArchived: true })).items.length).toBeGreaterThan(0);
    });
  });
}
