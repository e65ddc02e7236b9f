// appendItems: validation, persistence policy, order, seq, timestamps, atomic metadata patches,
// raw appends never touching metadata (spec §2.1, §4.6, §11, §13 "Persistence policy & history format").
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../../src/model/errors.js';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import type { ContractContext } from '../harness.js';
import { FIXTURE } from '../fixtures.js';
import { createParams, event, expectError, importFixture, json, makeThread, message, newId, turnLines, withoutTimestamp } from '../helpers.js';

const TS = '2026-11-24T13:17:14.364Z';

export function appendSpec(ctx: ContractContext): void {
  describe('appendItems', () => {
    it('stores real rollout lines JSON-equal, after the thread\'s own session_meta', async () => {
      const store = ctx.store();
      for (const fixture of [FIXTURE.interruptFail, FIXTURE.unicode]) {
        const { threadId, lines } = await importFixture(store, fixture);
        const history = await store.loadHistory({ threadId });
        expect(history.threadId).toBe(threadId);
        expect(history.items[0]!.type).toBe('session_meta');
        expect(history.items[0]!.payload).toMatchObject({ id: threadId });
        expect(history.items.slice(1)).toEqual(json(lines));
        const thread = await store.readThread({ threadId });
        expect(thread.itemCount).toBe(lines.length + 1);
      }
    });

    it('every stored line is {timestamp, type, payload}; missing timestamps are stamped, given ones kept', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      const before = Date.now();
      await store.appendItems({ threadId, items: [message('user', 'no timestamp'), { timestamp: TS, ...message('assistant', 'with timestamp') }] });
      const history = await store.loadHistory({ threadId });
      for (const line of history.items) {
        expect(typeof line.timestamp).toBe('string');
        expect(typeof line.type).toBe('string');
        expect(line.payload).toBeDefined();
      }
      const stamped = history.items[1]!;
      expect(stamped.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect(Date.parse(stamped.timestamp)).toBeGreaterThanOrEqual(before - 1000);
      expect(history.items[2]!.timestamp).toBe(TS);
    });

    it('stamps a line whose timestamp key holds undefined, and keeps timestamp its first key', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await store.appendItems({ threadId, items: [{ timestamp: undefined, ...message('user', 'explicitly undefined') }, message('user', 'absent')] });
      const history = await store.loadHistory({ threadId });
      expect(history.items).toHaveLength(3);
      for (const line of history.items.slice(1)) {
        expect(line.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
        expect(Object.keys(line)[0]).toBe('timestamp');
      }
      // One append, one moment: both lines carry the same stamp.
      expect(history.items[1]!.timestamp).toBe(history.items[2]!.timestamp);
    });

    it('applies the persistence policy: dropped kinds are never stored, the rest keeps its order', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      const kept: RolloutLine[] = [
        { type: 'turn_context', payload: { cwd: '/x', model: 'gpt-5' } },
        message('user', 'kept 1'),
        event('user_message', { message: 'kept 1' }),
        { type: 'compacted', payload: { message: 'summary' } },
        { type: 'inter_agent_communication', payload: { text: 'hi' } },
        { type: 'security_risk_score', payload: { score: 3 } }, // unknown variant from a newer writer
        { type: 'response_item', payload: { type: 'function_call', name: 'shell', arguments: '{}', call_id: 'c1' } },
        event('item_completed', { thread_id: threadId, turn_id: 't', item: { type: 'AgentMessage', id: 'i' } }),
      ];
      const dropped: RolloutLine[] = [
        event('agent_message_delta', { delta: 'x' }),
        event('exec_command_begin', { call_id: 'c1' }),
        event('exec_command_end', { call_id: 'c1' }),
        event('item_started', { item: { type: 'AgentMessage' } }),
        event('error', { message: 'boom' }),
        { type: 'response_item', payload: { type: 'compaction_trigger' } },
        { type: 'response_item', payload: { type: 'other' } },
      ];
      const interleaved = kept.flatMap((line, i) => (dropped[i] ? [dropped[i]!, line] : [line]));
      await store.appendItems({ threadId, items: interleaved });
      const history = await store.loadHistory({ threadId });
      expect(history.items.slice(1).map(withoutTimestamp)).toEqual(kept);
    });

    it('an append that keeps nothing is a no-op: no materialization, no metadata write', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await store.appendItems({ threadId, items: [event('agent_message_delta', { delta: 'x' })] }, { metadataPatch: { preview: 'nope' } });
      await store.appendItems({ threadId, items: [] });
      await expectError(store.readThread({ threadId }), ThreadNotFoundError);
      await store.appendItems({ threadId, items: [message('user', 'real')] });
      const before = await store.readThread({ threadId });
      await store.appendItems({ threadId, items: [event('exec_command_begin', { call_id: 'c' })] }, { metadataPatch: { preview: 'nope' } });
      expect(await store.readThread({ threadId })).toEqual(before);
      expect((await store.loadHistory({ threadId })).items).toHaveLength(2);
    });

    it('rejects an invalid item naming it, and stores nothing of that append', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      const bad = [message('user', 'ok'), { payload: { type: 'message' } } as unknown as RolloutLine];
      const error = await expectError(store.appendItems({ threadId, items: bad }), InvalidRequestError);
      expect(error.path).toMatch(/^items\[1\]/);
      await expectError(store.readThread({ threadId }), ThreadNotFoundError);
      await store.appendItems({ threadId, items: [message('user', 'first')] });
      const badMeta = { type: 'session_meta', payload: { id: 'not-a-uuid' } };
      expect((await expectError(store.appendItems({ threadId, items: [message('user', 'x'), badMeta] }), InvalidRequestError)).path).toMatch(/^items\[1\]\.payload/);
      expect((await store.loadHistory({ threadId })).items).toHaveLength(2);
    });

    it('validates the append params and the metadata patch before storing anything', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await expectError(store.appendItems({ threadId: 'nope', items: [] }), InvalidRequestError);
      const badPatch = { metadataPatch: { preview: 42 } } as unknown as Parameters<typeof store.appendItems>[1];
      await expectError(store.appendItems({ threadId, items: [message('user', 'x')] }, badPatch), InvalidRequestError);
      await expectError(store.readThread({ threadId }), ThreadNotFoundError);
    });

    it('keeps insertion order across appends (never the line timestamps), with gap-free seq', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      const lines = [0, 1, 2, 3, 4].map((i) => ({ timestamp: new Date(Date.UTC(2026, 0, 10 - i)).toISOString(), ...message('user', `m${i}`) }));
      await store.appendItems({ threadId, items: lines.slice(0, 2) });
      await store.appendItems({ threadId, items: lines.slice(2, 3) });
      await store.appendItems({ threadId, items: lines.slice(3) });
      const history = await store.loadHistory({ threadId });
      expect(history.items.slice(1)).toEqual(lines);
      const page = await store.listItems({ threadId, sortDirection: 'asc', pageSize: 100 });
      expect(page.items.map((i) => i.itemOrdinal)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(page.items.map((i) => i.itemKey)).toEqual([0, 1, 2, 3, 4, 5].map((seq) => `${threadId}:${seq}`));
    });

    it('a raw append changes only the item bookkeeping, never metadata', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store, { keepLive: true });
      const before = await store.readThread({ threadId });
      await new Promise((r) => setTimeout(r, 5));
      await store.appendItems({ threadId, items: turnLines(newId(), 'second turn'), });
      const after = await store.readThread({ threadId });
      expect(after.itemCount).toBe(before.itemCount + 6);
      expect(after.byteSize).toBeGreaterThan(before.byteSize);
      const { itemCount: _a, byteSize: _b, ...restAfter } = after;
      const { itemCount: _c, byteSize: _d, ...restBefore } = before;
      expect(restAfter).toEqual(restBefore);
    });

    it('applies options.metadataPatch together with the items', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      const at = new Date(Date.now() + 60_000).toISOString();
      await store.appendItems(
        { threadId, items: turnLines(newId(), 'fix the build') },
        { metadataPatch: { preview: 'fix the build', title: 'fix the build', firstUserMessage: 'fix the build', model: 'gpt-5', updatedAt: at, advanceRecencyAt: at } },
      );
      const thread = await store.readThread({ threadId });
      expect(thread).toMatchObject({ preview: 'fix the build', title: 'fix the build', firstUserMessage: 'fix the build', model: 'gpt-5', updatedAt: at, recencyAt: at });
      expect((await store.listThreads()).items.map((t) => t.threadId)).toEqual([threadId]);
    });

    it('keeps lines JSONB cannot hold (NUL, lone surrogates) exactly', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      const lines: RolloutLine[] = [
        { timestamp: TS, ...message('user', 'nul \u0000 inside') },
        { timestamp: TS, ...message('assistant', 'lone \ud800 surrogate and \\u0000 literal') },
        { timestamp: TS, type: 'event_msg', payload: { type: 'user_message', message: 'line\u2028sep\u2029para\u0085nel \t "quoted" \\ back' }, ordinal: 7, metadata: { a: [1, null, { b: true }] } },
      ];
      await store.appendItems({ threadId, items: lines });
      const history = await store.loadHistory({ threadId });
      expect(history.items.slice(1)).toEqual(lines);
      expect(JSON.stringify(history.items.slice(1))).toBe(JSON.stringify(lines));
    });
  });
}
