// LiveThread on the PostgreSQL store: every spec §13 "Metadata derivation" statement and the
// "Persistence policy" statements that concern a live thread, using real Codex 0.169 sample lines
// (test/fixtures/codex-home-sample) — plus the lifecycle (§5.2), the failure rules (§5.6) and the
// init guard. The sample has no legacy `user_message` / `thread_goal_updated` events (0.169 writes
// `item_completed` UserMessage items); where a statement needs one, the line is built in Codex's
// documented shape and says so.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../src/model/errors.js';
import { newUuidV7 } from '../../src/model/ids.js';
import type { CreateThreadParams } from '../../src/model/params.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { LiveThread, LiveThreadInitGuard, initializeLiveThread, splitLineage } from '../../src/live/LiveThread.js';
import { USER_MESSAGE_BEGIN } from '../../src/history/metadataSync.js';
import { useTestStore } from '../helpers/database.js';
import { createParamsFromMeta, FIXTURE, loadFixture } from '../contract/fixtures.js';
import { event, payloadType, sampleLine, SpyStore, storedItems, track } from './helpers.js';

const ctx = useTestStore();

const IF = FIXTURE.interruptFail; // app-interrupt-fail: 7 turns, images, reasoning
const ifRollout = () => loadFixture(IF);

/** A fresh tenant's store behind a spy. */
function spied(): SpyStore {
  return new SpyStore(ctx.service.forTenant(randomUUID()));
}

/** CreateThreadParams of the sample thread (same id: every test uses its own tenant). */
function params(threadId: string = IF, overrides: Partial<CreateThreadParams> = {}): CreateThreadParams {
  return createParamsFromMeta(loadFixture(threadId).meta, overrides);
}

/** Lines of the sample thread's turn `n` (0-based): task_started .. its terminal event. */
function turn(n: number, threadId: string = IF): RolloutLine[] {
  const lines = loadFixture(threadId).lines;
  const starts = lines.flatMap((l, i) => (payloadType(l) === 'task_started' ? [i] : []));
  const from = starts[n]!;
  const to = starts[n + 1] ?? lines.length;
  return structuredClone(lines.slice(from, to));
}

const isUserItem = (l: RolloutLine) => payloadType(l) === 'item_completed' && (l.payload as { item?: { type?: string } }).item?.type === 'UserMessage';
const userItemText = (l: RolloutLine) =>
  ((l.payload as { item: { content: { type: string; text?: string }[] } }).item.content.filter((c) => c.type === 'text').map((c) => c.text).join(''));
const isTokenCount = (l: RolloutLine) => payloadType(l) === 'token_count' && (l.payload as { info: unknown }).info !== null;

const firstUserText = () => userItemText(ifRollout().lines.find(isUserItem)!);
/** A real response_item (assistant message): affects no metadata. */
const assistantLine = () => sampleLine(IF, (l) => l.type === 'response_item' && (l.payload as { role?: string }).role === 'assistant');

async function row(store: ThreadStore, threadId: string = IF) {
  return store.readThread({ threadId, includeArchived: true });
}

describe('LiveThread: metadata derivation (§13)', () => {
  it('first user message → first_user_message, preview and title; session facts land with it', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    await live.append(turn(0));
    const t = await row(spy.store);
    const text = firstUserText();
    expect(t).toMatchObject({ firstUserMessage: text, preview: text, title: text, model: 'mock-model', approvalMode: 'never', modelProvider: 'mockB' });
    const tokens = turn(0).filter(isTokenCount).at(-1)!;
    expect(t.tokensUsed).toBe((tokens.payload as { info: { total_token_usage: { total_tokens: number } } }).info.total_token_usage.total_tokens);
    // one write: history and derived metadata went together
    expect(spy.callsOf('updateThreadMetadata')).toHaveLength(0);
    expect(spy.appendPatches()[0]).toMatchObject({ firstUserMessage: text, preview: text, title: text });
    await live.shutdown();
  });

  it('the text after "## My request for Codex:" is used, trimmed', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    const line = sampleLine(IF, isUserItem);
    const item = (line.payload as { item: { content: { type: string; text?: string }[] } }).item;
    item.content = [{ type: 'text', text: `<environment_context>x</environment_context>\n${USER_MESSAGE_BEGIN}\n  the real request \n` }];
    await live.append([line]);
    expect(await row(spy.store)).toMatchObject({ firstUserMessage: 'the real request', preview: 'the real request', title: 'the real request' });
  });

  it('an image-only message gives "[Image]" preview/first_user_message and no title; a blank one sets nothing', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    const blank = sampleLine(IF, isUserItem);
    (blank.payload as { item: { content: unknown[] } }).item.content = [{ type: 'text', text: '   ' }];
    await live.append([blank]);
    expect(await row(spy.store)).toMatchObject({ preview: '', title: '' });
    expect((await row(spy.store)).firstUserMessage ?? '').toBe('');
    // the sample's data-URL image message, with its text removed
    const image = sampleLine(IF, (l) => isUserItem(l) && JSON.stringify(l).includes('"type":"image"'));
    const item = (image.payload as { item: { content: { type: string }[] } }).item;
    item.content = item.content.filter((c) => c.type !== 'text');
    await live.append([image]);
    expect(await row(spy.store)).toMatchObject({ preview: '[Image]', firstUserMessage: '[Image]', title: '' });
    // the first message with text still becomes the title (title_seen was never set)
    await live.append([sampleLine(IF, isUserItem)]);
    expect(await row(spy.store)).toMatchObject({ preview: '[Image]', firstUserMessage: '[Image]', title: firstUserText() });
  });

  it('later user messages do not change preview / title / first_user_message', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    await live.append(turn(0));
    for (let n = 1; n < 7; n += 1) await live.append(turn(n));
    const t = await row(spy.store);
    expect(t).toMatchObject({ firstUserMessage: firstUserText(), preview: firstUserText(), title: firstUserText() });
    expect(t.itemCount).toBe(ifRollout().lines.length + 1);
  });

  it('a thread_goal_updated before any user message sets preview to the trimmed objective; title / first_user_message still come from the first user message', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    // Codex's shape (protocol EventMsg::ThreadGoalUpdated); the sample has no goal events.
    const goal = event('thread_goal_updated', { thread_id: IF, goal: { thread_id: IF, objective: '  ship the parser  ', status: 'active', tokens_used: 0, time_used_seconds: 0 } });
    await live.append([goal]);
    expect(await row(spy.store)).toMatchObject({ preview: 'ship the parser', title: '' });
    await live.append(turn(0));
    expect(await row(spy.store)).toMatchObject({ preview: 'ship the parser', title: firstUserText(), firstUserMessage: firstUserText() });
  });

  it('token_count with info sets token usage / tokens_used; info: null changes nothing', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    const real = sampleLine(IF, isTokenCount);
    await live.append([real]);
    const usage = (real.payload as { info: { total_token_usage: { total_tokens: number } } }).info.total_token_usage;
    expect(await row(spy.store)).toMatchObject({ tokensUsed: usage.total_tokens, tokenUsage: usage });
    await live.append([event('token_count', { info: null, rate_limits: null })]);
    expect((await row(spy.store)).tokensUsed).toBe(usage.total_tokens);
  });

  it('turn_context sets model, reasoning_effort, approval_mode, permission_profile — and cwd only while none is known', async () => {
    const spy = spied();
    const ctxLine = sampleLine(IF, (l) => l.type === 'turn_context');
    const ctx = ctxLine.payload as Record<string, unknown>;
    Object.assign(ctx, { model: 'mock-model-xl', effort: 'high', approval_policy: 'on-request', cwd: '/elsewhere' });
    // a thread created with a cwd keeps it
    const withCwd = await LiveThread.create(spy.store, params());
    await withCwd.append([ctxLine]);
    expect(await row(spy.store)).toMatchObject({
      model: 'mock-model-xl',
      reasoningEffort: 'high',
      approvalMode: 'on-request',
      permissionProfile: ctx.permission_profile,
      cwd: ifRollout().meta.cwd,
    });
    // a thread created without a cwd takes the first turn_context's, and only that one
    const other = newUuidV7();
    const noCwd = await LiveThread.create(spy.store, params(IF, { threadId: other, metadata: { cwd: null, modelProvider: 'mockB' } }));
    await noCwd.append([ctxLine]);
    expect((await row(spy.store, other)).cwd).toBe('/elsewhere');
    await noCwd.append([{ ...ctxLine, payload: { ...ctx, cwd: '/third' } }]);
    expect((await row(spy.store, other)).cwd).toBe('/elsewhere');
  });

  it("the thread's own session_meta sets created_at, source, thread_source, agent fields, provider, cli_version, cwd, git, memory_mode; another thread's is ignored", async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    // app-revert's post-revert segment starts with a session_meta for the same thread id: use its shape
    const meta = structuredClone(loadFixture(FIXTURE.subagentChild).meta);
    const own = { timestamp: '2026-11-24T13:17:30.000Z', type: 'session_meta', payload: { ...meta, id: IF, timestamp: '2026-11-24T13-17-29', memory_mode: 'disabled' } };
    const foreign = { timestamp: '2026-11-24T13:17:31.000Z', type: 'session_meta', payload: { ...ifRollout().meta, id: FIXTURE.execSingle, cwd: '/not/mine', model_provider: 'other' } };
    await live.append([own, foreign]);
    const t = await row(spy.store);
    expect(t).toMatchObject({
      createdAt: '2026-11-24T13:17:29.000Z', // the legacy %Y-%m-%dT%H-%M-%S form, read as UTC
      source: meta.source,
      threadSource: 'subagent',
      agentNickname: 'Popper',
      agentRole: null,
      agentPath: null,
      modelProvider: 'mockA',
      cliVersion: '0.169.0',
      cwd: meta.cwd,
      memoryMode: 'disabled',
      gitInfo: { sha: (meta.git as { commit_hash: string }).commit_hash, branch: 'main', originUrl: (meta.git as { repository_url: string }).repository_url },
    });
  });

  it('task_started advances recency_at; model output, tool output, token counts and task_complete advance only updated_at', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params(), { touchIntervalMs: 0 });
    const lines = turn(0);
    await live.append(lines.slice(0, 1)); // task_started
    let before = await row(spy.store);
    for (const line of lines.slice(1)) {
      await new Promise((r) => setTimeout(r, 2));
      await live.append([line]);
      const after = await row(spy.store);
      expect(after.recencyAt, `${line.type}/${payloadType(line)}`).toBe(before.recencyAt);
      expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
      before = after;
    }
    await new Promise((r) => setTimeout(r, 2));
    await live.append(turn(1).slice(0, 1)); // the next task_started
    expect(Date.parse((await row(spy.store)).recencyAt)).toBeGreaterThan(Date.parse(before.recencyAt));
  });

  it('appends of non-metadata items within the touch interval write no metadata until the next barrier', async () => {
    const spy = spied();
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const live = await LiveThread.create(spy.store, params(), { touchIntervalMs: 5_000, clock: () => now });
    await live.append(turn(0)); // metadata facts: written
    const first = await row(spy.store);
    now += 1_000;
    await live.append([assistantLine()]);
    now += 1_000;
    await live.append([assistantLine()]);
    expect(spy.appendPatches().slice(1)).toEqual([undefined, undefined]);
    expect((await row(spy.store)).updatedAt).toBe(first.updatedAt);
    await live.flush(); // the barrier writes the coalesced touch
    const flushed = spy.callsOf('updateThreadMetadata');
    expect(flushed).toHaveLength(1);
    expect(flushed[0]!.args[0]).toMatchObject({ patch: { updatedAt: new Date(now).toISOString() }, includeArchived: true });
    expect(Date.parse((await row(spy.store)).updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
    // past the interval, a plain append writes its touch again
    now += 6_000;
    await live.append([assistantLine()]);
    expect(spy.appendPatches().at(-1)).toEqual({ updatedAt: new Date(now).toISOString() });
  });

  it('create-time metadata is deferred until the first append (flush and shutdown do not write it)', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    await live.flush();
    expect(spy.callsOf('updateThreadMetadata')).toHaveLength(0);
    await expect(row(spy.store)).rejects.toBeInstanceOf(ThreadNotFoundError);
    await live.append([assistantLine()]);
    expect(spy.appendPatches()[0]).toMatchObject({
      modelProvider: 'mockB',
      source: 'vscode',
      threadSource: null,
      cwd: ifRollout().meta.cwd,
      cliVersion: '0.169.0',
      memoryMode: 'enabled',
      agentNickname: null,
    });
    expect(spy.appendPatches()[0]!.createdAt).toBeDefined();
  });

  it('… or until persist, which materializes the thread and writes it regardless of deferral', async () => {
    const spy = spied();
    const before = Date.now();
    const live = await LiveThread.create(spy.store, params());
    await live.persist();
    const [write] = spy.callsOf('updateThreadMetadata');
    expect(write!.args[0]).toMatchObject({ threadId: IF, includeArchived: true, patch: { modelProvider: 'mockB', source: 'vscode' } });
    const t = await row(spy.store);
    expect(Date.parse(t.createdAt)).toBeGreaterThanOrEqual(before - 5);
    const history = await live.loadHistory();
    expect(history.items.map((l) => l.type)).toEqual(['session_meta']);
    await live.shutdown();
  });

  it('resume-derived metadata is deferred until the first append, then written as one combined patch (created_at and provider from the rollout)', async () => {
    const spy = spied();
    const first = await LiveThread.create(spy.store, params());
    await first.append([...turn(0), ...turn(1)]);
    await first.shutdown();
    spy.reset();
    // resume with a different provider in the params: the rollout's wins (Codex test)
    const live = await LiveThread.resume(spy.store, { threadId: IF, metadata: { cwd: '/other', modelProvider: 'resumed-provider' } });
    expect(spy.callsOf('loadHistory')).toHaveLength(1);
    await live.flush();
    expect(spy.callsOf('updateThreadMetadata')).toHaveLength(0);
    await live.append(turn(2));
    const patches = spy.appendPatches();
    expect(patches).toHaveLength(1);
    const storedMeta = (await storedItems(spy.store, IF))[0]!.line.payload as { timestamp: string };
    expect(patches[0]).toMatchObject({
      createdAt: storedMeta.timestamp,
      modelProvider: 'mockB',
      firstUserMessage: firstUserText(),
      model: 'mock-model',
    });
    expect(patches[0]!.updatedAt).toBeDefined();
    expect((await row(spy.store)).modelProvider).toBe('mockB');
    await live.shutdown();
  });

  it('resume uses the history the caller already loaded instead of reading it again', async () => {
    const spy = spied();
    const first = await LiveThread.create(spy.store, params());
    await first.append(turn(0));
    await first.shutdown();
    const history = (await spy.store.loadHistory({ threadId: IF })).items;
    spy.reset();
    const live = await LiveThread.resume(spy.store, { threadId: IF, history, metadata: { cwd: null, modelProvider: 'mockB' } });
    expect(spy.callsOf('loadHistory')).toHaveLength(0);
    await live.append(turn(1));
    expect(spy.appendPatches()[0]).toMatchObject({ firstUserMessage: firstUserText() });
  });

  it('a failed append leaves its patch pending; the next append carries it', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    await live.append([assistantLine()]);
    spy.failNext('appendItems', new Error('injected'));
    await expect(live.append(turn(0))).rejects.toThrow('injected');
    expect((await row(spy.store)).preview).toBe('');
    await live.append([assistantLine()]);
    expect(spy.appendPatches().at(-1)).toMatchObject({ firstUserMessage: firstUserText(), preview: firstUserText() });
    expect(await row(spy.store)).toMatchObject({ firstUserMessage: firstUserText(), preview: firstUserText(), title: firstUserText() });
  });

  it('a failed metadata write at a barrier stays pending and is retried by the next flush / shutdown', async () => {
    const spy = spied();
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const live = await LiveThread.create(spy.store, params(), { clock: () => now });
    await live.append(turn(0));
    now += 1000;
    await live.append([assistantLine()]); // coalesced touch, pending
    spy.failNext('updateThreadMetadata', new Error('metadata down'));
    await expect(live.flush()).rejects.toThrow('metadata down');
    await live.flush();
    expect(spy.callsOf('updateThreadMetadata').map((c) => c.outcome)).toEqual(['error', 'ok']);
    expect((await row(spy.store)).updatedAt).toBe(new Date(now).toISOString());
    // shutdown: fails with the metadata write, the thread stays open, a retry succeeds
    now += 1000;
    await live.append([assistantLine()]);
    spy.failNext('updateThreadMetadata', new Error('metadata down'));
    await expect(live.shutdown()).rejects.toThrow('metadata down');
    expect(live.isOpen).toBe(true);
    await live.shutdown();
    expect(live.isOpen).toBe(false);
    expect((await row(spy.store)).updatedAt).toBe(new Date(now).toISOString());
  });

  it('a successful write of an older generation does not clear a newer pending patch', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    await live.append([assistantLine()]);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    spy.before('appendItems', () => gate); // generation N: held in flight
    spy.failNext('appendItems', new Error('second write fails')); // generation N+1's write
    const older = live.append(turn(0).filter((l) => !isTokenCount(l)));
    const tokens = sampleLine(IF, isTokenCount);
    const newer = live.append([tokens]); // observed while the older write is in flight
    open();
    await older;
    await expect(newer).rejects.toThrow('second write fails');
    // the older success did not clear the token usage observed after it was taken
    await live.flush();
    const last = spy.callsOf('updateThreadMetadata').at(-1)!.args[0] as { patch: Record<string, unknown> };
    expect(last.patch.tokenUsage).toEqual((tokens.payload as { info: { total_token_usage: unknown } }).info.total_token_usage);
    expect((await row(spy.store)).tokenUsage).toEqual(last.patch.tokenUsage);
  });

  it('append-derived metadata is written with includeArchived: a live archived thread still gets it', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    await live.append(turn(0));
    await spy.store.archiveThread({ threadId: IF });
    const tokens = turn(1).filter(isTokenCount).at(-1)!;
    await live.append(turn(1));
    const t = await row(spy.store);
    expect(t.archivedAt).not.toBeNull();
    expect(t.tokenUsage).toEqual((tokens.payload as { info: { total_token_usage: unknown } }).info.total_token_usage);
  });

  it('updateMetadata / updateMemoryMode flush pending derived metadata first, then apply the explicit patch', async () => {
    const spy = spied();
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const live = await LiveThread.create(spy.store, params(), { clock: () => now });
    await live.append(turn(0));
    now += 1000;
    await live.append([assistantLine()]); // pending touch
    const updated = await live.updateMetadata({ name: 'Renamed' });
    const writes = spy.callsOf('updateThreadMetadata').map((c) => c.args[0] as { patch: Record<string, unknown>; includeArchived: boolean });
    expect(writes).toEqual([
      { threadId: IF, patch: { updatedAt: new Date(now).toISOString() }, includeArchived: true },
      { threadId: IF, patch: { name: 'Renamed' }, includeArchived: false },
    ]);
    expect(updated).toMatchObject({ name: 'Renamed', updatedAt: new Date(now).toISOString() });
    const mm = await live.updateMemoryMode('disabled');
    expect(mm.memoryMode).toBe('disabled');
  });

  it('updateMetadata on a created, still empty thread materializes it first', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    const t = await live.updateMemoryMode('disabled');
    expect(t).toMatchObject({ memoryMode: 'disabled', historyMode: 'paginated', modelProvider: 'mockB' });
    expect((await storedItems(spy.store, IF)).map((i) => i.line.type)).toEqual(['session_meta']);
  });

  it('raw ThreadStore.appendItems (without LiveThread) never changes metadata', async () => {
    const spy = spied();
    await spy.store.createThread(params());
    await spy.store.appendItems({ threadId: IF, items: turn(0) });
    expect(await row(spy.store)).toMatchObject({ preview: '', title: '', model: null, tokensUsed: 0 });
  });
});

describe('LiveThread: persistence policy (§13)', () => {
  it('an append of only non-persisted items stores nothing and writes no metadata', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    const dropped = [
      event('agent_message_delta', { delta: 'x' }),
      event('exec_command_begin', { call_id: 'c' }),
      event('item_started', { item: { type: 'AgentMessage', id: 'a' } }),
      { type: 'response_item', payload: { type: 'compaction_trigger' } },
    ];
    await live.append(dropped);
    expect(spy.appendPatches()).toEqual([undefined]);
    await expect(row(spy.store)).rejects.toBeInstanceOf(ThreadNotFoundError);
    await live.shutdown();
    await expect(row(spy.store)).rejects.toBeInstanceOf(ThreadNotFoundError);
  });

  it('only the persisted items are stored and observed; the first stored line is the thread\'s own session_meta', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    const lines = turn(0);
    const noise = [event('agent_message_delta', { delta: 'x' }), event('exec_command_end', { call_id: 'c' })];
    await live.append([noise[0]!, ...lines, noise[1]!]);
    const stored = await storedItems(spy.store, IF);
    expect(stored.map((s) => s.seq)).toEqual(lines.map((_, i) => i).concat(lines.length));
    expect(stored[0]!.line).toMatchObject({ type: 'session_meta', payload: { id: IF } });
    expect(stored.slice(1).map((s) => s.line)).toEqual(lines);
  });

  it('a created thread with no appended items leaves no row after shutdown', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    await live.flush();
    await live.shutdown();
    await expect(row(spy.store)).rejects.toBeInstanceOf(ThreadNotFoundError);
    expect(spy.callsOf('updateThreadMetadata')).toHaveLength(0);
  });

  it('a metadata-only persisted item (token_count) materializes the thread', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    await live.append([sampleLine(IF, isTokenCount)]);
    await live.shutdown();
    expect((await row(spy.store)).itemCount).toBe(2);
  });

  it('malformed items are rejected before anything is observed or stored', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    const bad = { type: 'session_meta', payload: { id: 'not-a-uuid' } };
    await expect(live.append([sampleLine(IF, isUserItem), bad])).rejects.toMatchObject({ code: 'InvalidRequest', path: 'items[1].payload.id' });
    expect(spy.callsOf('appendItems')).toHaveLength(0);
    await live.append([assistantLine()]);
    expect(spy.appendPatches()[0]!.firstUserMessage).toBeUndefined();
  });
});

describe('LiveThread: lifecycle', () => {
  it('appends after shutdown or discard → ThreadNotFound; discard is idempotent', async () => {
    const spy = spied();
    const a = await LiveThread.create(spy.store, params());
    await a.append(turn(0));
    await a.shutdown();
    await expect(a.append(turn(1))).rejects.toBeInstanceOf(ThreadNotFoundError);
    await expect(a.shutdown()).rejects.toBeInstanceOf(ThreadNotFoundError);
    const b = await LiveThread.resume(spy.store, { threadId: IF, metadata: { cwd: null, modelProvider: 'mockB' } });
    await b.discard();
    await b.discard();
    await expect(b.append(turn(1))).rejects.toBeInstanceOf(ThreadNotFoundError);
    await expect(b.flush()).rejects.toBeInstanceOf(ThreadNotFoundError);
  });

  it('discard keeps the durable prefix (resumable), drops pending metadata, and waits for an append in flight', async () => {
    const spy = spied();
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const live = await LiveThread.create(spy.store, params(), { clock: () => now });
    await live.append(turn(0));
    const written = await row(spy.store);
    let open!: () => void;
    spy.before('appendItems', () => new Promise<void>((r) => (open = r)));
    now += 1000;
    const inFlight = track(live.append([assistantLine()]));
    await new Promise((r) => setTimeout(r, 10));
    const discarding = track(live.discard());
    const queued = live.append([assistantLine()]).catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 20));
    expect(discarding.settled()).toBe(false);
    open();
    await inFlight.promise;
    await discarding.promise;
    expect(await queued).toBeInstanceOf(ThreadNotFoundError);
    expect(spy.callsOf('discardThread')).toHaveLength(1);
    expect(spy.callsOf('updateThreadMetadata')).toHaveLength(0);
    expect((await row(spy.store)).updatedAt).toBe(written.updatedAt);
    const resumed = await LiveThread.resume(spy.store, { threadId: IF, metadata: { cwd: null, modelProvider: 'mockB' } });
    await resumed.append(turn(1));
    const seqs = (await storedItems(spy.store, IF)).map((i) => i.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(seqs).toHaveLength(1 + turn(0).length + 1 + turn(1).length);
  });

  it('flush is a barrier for every append called before it', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    const pending = [0, 1, 2, 3].map((n) => track(live.append(turn(n))));
    await live.flush();
    expect(pending.every((p) => p.settled())).toBe(true);
    expect((await row(spy.store)).itemCount).toBe(1 + [0, 1, 2, 3].reduce((n, t) => n + turn(t).length, 0));
  });

  it('the init guard discards a thread whose initialization failed, and logs (not throws) a failed discard', async () => {
    const spy = spied();
    const live = await LiveThread.create(spy.store, params());
    await expect(
      initializeLiveThread(live, async (t) => {
        await t.append(turn(0));
        throw new Error('session init failed');
      }),
    ).rejects.toThrow('session init failed');
    expect(live.isOpen).toBe(false);
    expect(spy.callsOf('discardThread')).toHaveLength(1);
    // the writer is released: the thread can be resumed at once, its durable prefix intact
    const again = await LiveThread.resume(spy.store, { threadId: IF, metadata: { cwd: null, modelProvider: 'mockB' } });
    expect((await again.readThread()).itemCount).toBe(1 + turn(0).length);
    await again.shutdown();

    const warnings: unknown[] = [];
    const other = newUuidV7();
    const t2 = await LiveThread.create(spy.store, params(IF, { threadId: other }));
    spy.failNext('discardThread', new Error('discard failed'));
    const guard = new LiveThreadInitGuard(t2, { warn: (message, error) => warnings.push([message, (error as Error).message]) });
    await guard.discard();
    expect(warnings).toEqual([['failed to discard thread persistence for failed session init', 'discard failed']]);
    await guard.discard(); // released: no second attempt
    expect(spy.callsOf('discardThread')).toHaveLength(2);
    expect(() => guard.commit()).toThrow(InvalidRequestError);
    // a committed guard hands the thread over untouched
    const t3 = await LiveThread.create(spy.store, params(IF, { threadId: newUuidV7() }));
    const committed = new LiveThreadInitGuard(t3);
    expect(committed.commit()).toBe(t3);
    await committed.discard();
    expect(t3.isOpen).toBe(true);
  });
});

describe('splitLineage', () => {
  const fork = '01a20db4-33ae-7c91-ad18-775d8484d60c';
  const base = '01a20db4-1e3b-7923-9f53-23837db4b2a5';
  const meta = (id: string, extra: Record<string, unknown> = {}): RolloutLine => ({ type: 'session_meta', payload: { id, ...extra } });
  it('separates the lines a fork inherits through history_base from its own', () => {
    const history = [meta(fork, { history_base: { thread_id: base, end_ordinal_exclusive: 3 } }), meta(base), event('a'), event('b'), event('own')];
    const { own, inherited } = splitLineage(fork, history);
    expect(inherited).toEqual(history.slice(1, 4));
    expect(own).toEqual([history[0], history[4]]);
  });
  it('leaves ordinary histories (and same-thread revert segments) whole', () => {
    const plain = [meta(base), event('a')];
    expect(splitLineage(base, plain)).toEqual({ own: plain, inherited: [] });
    const revert = [meta(base, { history_base: { thread_id: base, end_ordinal_exclusive: 1 } }), event('a')];
    expect(splitLineage(base, revert).inherited).toEqual([]);
  });
});
