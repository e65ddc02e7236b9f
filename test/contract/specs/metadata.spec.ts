// updateThreadMetadata and the per-tenant timestamp clock (spec §2.5, §3.4, §13 "ThreadStore API &
// errors", "Ordering & timestamps").
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../../src/model/errors.js';
import { patchFromWire } from '../../../src/model/patch.js';
import type { ContractContext } from '../harness.js';
import { expectError, iso, makeThread, ms, newId } from '../helpers.js';

const USAGE = { input_tokens: 10, cached_input_tokens: 2, output_tokens: 5, reasoning_output_tokens: 1, total_tokens: 15 };

export function metadataSpec(ctx: ContractContext): void {
  describe('updateThreadMetadata', () => {
    it('an empty patch writes nothing and returns the current thread', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const before = await store.readThread({ threadId });
      await new Promise((r) => setTimeout(r, 5));
      expect(await store.updateThreadMetadata({ threadId, patch: {} })).toEqual(before);
      expect(await store.updateThreadMetadata({ threadId, patch: { preview: null, model: undefined } as never })).toEqual(before);
      expect(await store.readThread({ threadId })).toEqual(before);
    });

    it('unknown → ThreadNotFound; archived needs includeArchived; bad patches are InvalidRequest with the path', async () => {
      const store = ctx.store();
      const unknown = newId();
      await expectError(store.updateThreadMetadata({ threadId: unknown, patch: { name: 'x' } }), ThreadNotFoundError, `thread ${unknown} not found`);
      await expectError(store.updateThreadMetadata({ threadId: unknown, patch: {} }), ThreadNotFoundError);
      const threadId = await makeThread(store);
      expect((await expectError(store.updateThreadMetadata({ threadId, patch: { bogus: 1 } as never }), InvalidRequestError)).path).toMatch(/^patch/);
      expect((await expectError(store.updateThreadMetadata({ threadId, patch: { updatedAt: 'yesterday' } }), InvalidRequestError)).path).toBe('patch.updatedAt');
      await store.archiveThread({ threadId });
      await expectError(store.updateThreadMetadata({ threadId, patch: { name: 'x' } }), InvalidRequestError, /is archived/);
      expect((await store.updateThreadMetadata({ threadId, patch: { name: 'x' }, includeArchived: true })).name).toBe('x');
    });

    it('sets every plain field literally and returns the updated thread', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const source = { subagent: { thread_spawn: { parent_thread_id: newId(), depth: 2 } } };
      const updated = await store.updateThreadMetadata({
        threadId,
        patch: {
          name: 'Release prep',
          rolloutPath: '/tmp/rollout.jsonl',
          preview: 'preview text',
          title: 'title text',
          modelProvider: 'mockB',
          model: 'gpt-5.1-codex',
          reasoningEffort: 'high',
          createdAt: '2026-01-02T03:04:05.123+02:00',
          source,
          threadSource: 'user',
          agentNickname: 'Popper',
          agentRole: 'worker',
          agentPath: 'root/popper',
          cwd: '/srv/other',
          cliVersion: '0.170.0',
          approvalMode: 'never',
          permissionProfile: { type: 'workspace-write', network_access: false },
          firstUserMessage: 'first!',
          memoryMode: 'disabled',
          historyMode: 'legacy',
        },
      });
      expect(updated).toMatchObject({
        name: 'Release prep',
        rolloutPath: '/tmp/rollout.jsonl',
        preview: 'preview text',
        title: 'title text',
        modelProvider: 'mockB',
        model: 'gpt-5.1-codex',
        reasoningEffort: 'high',
        createdAt: '2026-01-02T01:04:05.123Z',
        source,
        threadSource: 'user',
        agentNickname: 'Popper',
        agentRole: 'worker',
        agentPath: 'root/popper',
        cwd: '/srv/other',
        cliVersion: '0.170.0',
        approvalMode: 'never',
        permissionProfile: { type: 'workspace-write', network_access: false },
        firstUserMessage: 'first!',
        memoryMode: 'disabled',
        historyMode: 'legacy',
      });
      expect(await store.readThread({ threadId })).toEqual(updated);
    });

    it('null clears clearable fields; null on a non-clearable field leaves it unchanged', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      await store.updateThreadMetadata({
        threadId,
        patch: { name: 'n', threadSource: 'user', agentNickname: 'a', agentRole: 'r', agentPath: 'p', model: 'm', title: 't' },
      });
      const cleared = await store.updateThreadMetadata({
        threadId,
        patch: { name: null, threadSource: null, agentNickname: null, agentRole: null, agentPath: null, model: null, title: null } as never,
      });
      expect(cleared).toMatchObject({ name: null, threadSource: null, agentNickname: null, agentRole: null, agentPath: null, model: 'm', title: 't' });
    });

    it('a patch without updatedAt does not touch updatedAt or recencyAt', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const before = await store.readThread({ threadId });
      await new Promise((r) => setTimeout(r, 5));
      const after = await store.updateThreadMetadata({ threadId, patch: { name: 'renamed' } });
      expect(after.updatedAt).toBe(before.updatedAt);
      expect(after.recencyAt).toBe(before.recencyAt);
    });

    it('git info merges per field: {"git_info":{"branch":"main","origin_url":null}} sets branch, clears origin, keeps sha', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const full = await store.updateThreadMetadata({ threadId, patch: { gitInfo: { sha: 'abc', branch: 'dev', originUrl: 'https://example.com/r.git' } } });
      expect(full.gitInfo).toEqual({ sha: 'abc', branch: 'dev', originUrl: 'https://example.com/r.git' });
      const merged = await store.updateThreadMetadata({ threadId, patch: patchFromWire({ git_info: { branch: 'main', origin_url: null } }) });
      expect(merged.gitInfo).toEqual({ sha: 'abc', branch: 'main', originUrl: null });
      const kept = await store.updateThreadMetadata({ threadId, patch: { gitInfo: {} } });
      expect(kept.gitInfo).toEqual({ sha: 'abc', branch: 'main', originUrl: null });
      const none = await store.updateThreadMetadata({ threadId, patch: { gitInfo: { sha: null, branch: null } } });
      expect(none.gitInfo).toBeNull();
      const fromNothing = await store.updateThreadMetadata({ threadId, patch: { gitInfo: { originUrl: 'u' } } });
      expect(fromNothing.gitInfo).toEqual({ sha: null, branch: null, originUrl: 'u' });
    });

    it('tokenUsage also sets tokensUsed = max(0, total_tokens)', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const t = await store.updateThreadMetadata({ threadId, patch: { tokenUsage: USAGE } });
      expect(t.tokenUsage).toEqual(USAGE);
      expect(t.tokensUsed).toBe(15);
      const negative = await store.updateThreadMetadata({ threadId, patch: { tokenUsage: { ...USAGE, total_tokens: -3 } } });
      expect(negative.tokensUsed).toBe(0);
    });

    it('advanceRecencyAt never moves recencyAt backwards', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const start = ms((await store.readThread({ threadId })).recencyAt);
      const later = iso(start + 60_000);
      expect((await store.updateThreadMetadata({ threadId, patch: { advanceRecencyAt: later } })).recencyAt).toBe(later);
      expect((await store.updateThreadMetadata({ threadId, patch: { advanceRecencyAt: iso(start - 60_000) } })).recencyAt).toBe(later);
      // the same instant again is a live write in the same second: allocated one ms later, still forwards
      expect((await store.updateThreadMetadata({ threadId, patch: { advanceRecencyAt: later } })).recencyAt).toBe(iso(start + 60_001));
      const muchLater = iso(start + 120_000);
      expect((await store.updateThreadMetadata({ threadId, patch: { advanceRecencyAt: muchLater } })).recencyAt).toBe(muchLater);
    });

    it('updatedAt and advanceRecencyAt naming the same instant land on the same allocated value', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const at = iso(Date.now() + 30_000);
      const t = await store.updateThreadMetadata({ threadId, patch: { updatedAt: at, advanceRecencyAt: at } });
      expect(t.updatedAt).toBe(at);
      expect(t.recencyAt).toBe(at);
    });
  });

  describe('timestamp allocation (per-tenant clock)', () => {
    it('newer → as given; same second → mark + 1 ms; ≥ 1 s older (backfill) → unchanged', async () => {
      const store = ctx.store();
      const [a, b, c, d, e] = await Promise.all([1, 2, 3, 4, 5].map(() => makeThread(store)));
      const T = Math.floor((Date.now() + 3_600_000) / 1000) * 1000;
      const upd = async (threadId: string, at: number) => ms((await store.updateThreadMetadata({ threadId, patch: { updatedAt: iso(at) } })).updatedAt);
      expect(await upd(a!, T)).toBe(T);
      expect(await upd(b!, T)).toBe(T + 1);
      expect(await upd(c!, T - 500)).toBe(T + 2);
      expect(await upd(d!, T - 5_000)).toBe(T - 5_000);
      expect(await upd(e!, T + 10_000)).toBe(T + 10_000);
      // recency goes through the same clock
      expect(ms((await store.updateThreadMetadata({ threadId: a!, patch: { advanceRecencyAt: iso(T + 10_000) } })).recencyAt)).toBe(T + 10_001);
    });

    it('live writes of updatedAt are unique and strictly increasing within a tenant', async () => {
      const store = ctx.store();
      const threads = await Promise.all([1, 2, 3].map(() => makeThread(store)));
      const now = iso(Date.now());
      const values: number[] = [];
      for (let i = 0; i < 12; i += 1) {
        const t = await store.updateThreadMetadata({ threadId: threads[i % 3]!, patch: { updatedAt: now } });
        values.push(ms(t.updatedAt));
      }
      for (let i = 1; i < values.length; i += 1) expect(values[i]).toBeGreaterThan(values[i - 1]!);
    });

    it('clocks are per tenant: another tenant is not bumped', async () => {
      const storeA = ctx.store();
      const storeB = ctx.store();
      const a = await makeThread(storeA);
      const b = await makeThread(storeB);
      const T = Math.floor((Date.now() + 7_200_000) / 1000) * 1000;
      expect(ms((await storeA.updateThreadMetadata({ threadId: a, patch: { updatedAt: iso(T) } })).updatedAt)).toBe(T);
      expect(ms((await storeB.updateThreadMetadata({ threadId: b, patch: { updatedAt: iso(T) } })).updatedAt)).toBe(T);
    });
  });
}
