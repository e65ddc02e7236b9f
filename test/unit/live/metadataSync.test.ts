// Spec §13 "Metadata derivation (LiveThread / ThreadMetadataSync)" — every statement that is a pure
// property of the sync — plus the 0.169 sources (item_completed UserMessage, thread_settings_applied).
// LiveThread-level statements (async worker, include_archived, flush ordering, raw store appends)
// need a store and are not covered here.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import { isEmptyPatch, mergePatch, type ThreadMetadataPatch } from '../../../src/model/patch.js';
import {
  IMAGE_ONLY_USER_MESSAGE_PLACEHOLDER,
  THREAD_UPDATED_AT_TOUCH_INTERVAL_MS,
  ThreadMetadataSync,
  USER_MESSAGE_BEGIN,
  deriveMetadataFromItems,
  parseSessionTimestamp,
  rolloutItemAffectsThreadMetadata,
  sessionSourceAgentFields,
  stripUserMessagePrefix,
  updateHasMetadataFacts,
  userMessageFromRolloutLine,
  userMessagePreview,
  userMessageTitle,
} from '../../../src/history/metadataSync.js';

const THREAD = '01a20db4-1043-78d3-8e6e-3373c24f660e';
const OTHER = '01a20db4-1338-7183-9666-e400261da2ff';
const TS = '2026-11-24T13:17:14.364Z';
const T0 = Date.parse('2026-11-24T13:00:00.000Z');

const ev = (payload: Record<string, unknown>): RolloutLine => ({ timestamp: TS, type: 'event_msg', payload });
const userMessage = (message: string, images: string[] = [], localImages: string[] = []): RolloutLine =>
  ev({ type: 'user_message', message, images, local_images: localImages, text_elements: [] });
const completedUser = (content: Record<string, unknown>[]): RolloutLine =>
  ev({ type: 'item_completed', thread_id: THREAD, turn_id: 'turn', item: { type: 'UserMessage', id: 'u', content } });
const completedText = (text: string): RolloutLine => completedUser([{ type: 'text', text, text_elements: [] }]);
const tokenCount = (total: number | null): RolloutLine =>
  ev({
    type: 'token_count',
    info:
      total === null
        ? null
        : {
            total_token_usage: { input_tokens: total - 1, cached_input_tokens: 0, output_tokens: 1, reasoning_output_tokens: 0, total_tokens: total },
            last_token_usage: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 0 },
          },
  });
const goal = (objective: string): RolloutLine =>
  ev({ type: 'thread_goal_updated', thread_id: THREAD, goal: { thread_id: THREAD, objective, status: 'active', tokens_used: 0 } });
const taskStarted = (): RolloutLine => ev({ type: 'task_started', turn_id: 'turn-1' });
const agentMessage = (): RolloutLine => ev({ type: 'agent_message', message: 'done' });
const turnContext = (payload: Record<string, unknown>): RolloutLine => ({ timestamp: TS, type: 'turn_context', payload });
const settings = (s: Record<string, unknown>): RolloutLine => ev({ type: 'thread_settings_applied', thread_id: THREAD, thread_settings: s });
const sessionMeta = (payload: Record<string, unknown>): RolloutLine => ({
  timestamp: TS,
  type: 'session_meta',
  payload: { id: THREAD, session_id: THREAD, timestamp: '2026-11-24T13:17:14.209Z', cwd: '/w', originator: 'codex_exec', cli_version: '0.169.0', source: 'exec', model_provider: 'mockA', ...payload },
});
const compacted = (): RolloutLine => ({ timestamp: TS, type: 'compacted', payload: { message: 'summary' } });

const derive = (lines: RolloutLine[]): ThreadMetadataPatch => deriveMetadataFromItems(THREAD, lines);

function resumed(history: RolloutLine[] = [], now = T0): { sync: ThreadMetadataSync; clock: { now: number } } {
  const clock = { now };
  const sync = ThreadMetadataSync.forResume({ threadId: THREAD, history }, { clock: () => clock.now });
  return { sync, clock };
}

describe('user messages → first_user_message / preview / title', () => {
  it('first user_message sets all three to the text after "## My request for Codex:", trimmed', () => {
    const p = derive([userMessage(`<ctx>harness</ctx>\n${USER_MESSAGE_BEGIN}\n  fix the build \n`)]);
    expect(p).toMatchObject({ firstUserMessage: 'fix the build', preview: 'fix the build', title: 'fix the build' });
  });

  it('the same from a Codex 0.169 item_completed UserMessage (text inputs concatenated)', () => {
    const p = derive([completedUser([{ type: 'text', text: '  hello ' }, { type: 'text', text: 'world  ' }])]);
    expect(p).toMatchObject({ firstUserMessage: 'hello world', preview: 'hello world', title: 'hello world' });
  });

  it('an image-only message gives "[Image]" preview/first_user_message and no title', () => {
    for (const line of [
      userMessage('', ['data:image/png;base64,AAAA']),
      userMessage('  ', [], ['/tmp/a.png']),
      completedUser([{ type: 'image', image_url: 'data:image/png;base64,AAAA' }]),
      completedUser([{ type: 'local_image', path: '/tmp/a.png' }]),
    ]) {
      const p = derive([line]);
      expect(p.preview).toBe(IMAGE_ONLY_USER_MESSAGE_PLACEHOLDER);
      expect(p.firstUserMessage).toBe('[Image]');
      expect(p.title).toBeUndefined();
    }
  });

  it('an image-only first message leaves the title to the next message with text', () => {
    const p = derive([userMessage('', ['https://x/y.png']), userMessage('second')]);
    expect(p).toMatchObject({ firstUserMessage: '[Image]', preview: '[Image]', title: 'second' });
  });

  it('a blank message without images sets nothing', () => {
    expect(derive([userMessage('   \n\t')])).toEqual({});
    expect(derive([completedText(' ')])).toEqual({});
    expect(derive([userMessage(`${USER_MESSAGE_BEGIN}   `)])).toEqual({});
  });

  it('later user messages do not change preview/title/first_user_message (same batch)', () => {
    const p = derive([userMessage('first'), completedText('second'), userMessage('third')]);
    expect(p).toMatchObject({ firstUserMessage: 'first', preview: 'first', title: 'first' });
  });

  it('later user messages do not change them across appends either (only updated_at)', () => {
    const { sync } = resumed([userMessage('first user text')]);
    sync.markPendingUpdateApplied(sync.takePendingUpdate()!);
    const update = sync.observeAppendedItems([userMessage('later user text')], T0)!;
    expect(update.patch).toEqual({ updatedAt: new Date(T0).toISOString() });
  });

  it('response_item user messages never set them (they also carry harness context)', () => {
    const line: RolloutLine = { timestamp: TS, type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } };
    expect(derive([line])).toEqual({});
    expect(rolloutItemAffectsThreadMetadata(line)).toBe(false);
  });

  it('item_completed of other item kinds is not a user message', () => {
    expect(userMessageFromRolloutLine(ev({ type: 'item_completed', item: { type: 'AgentMessage', content: [{ type: 'Text', text: 'x' }] } }))).toBeUndefined();
    expect(derive([ev({ type: 'item_completed', item: { type: 'AgentMessage', content: [{ type: 'Text', text: 'x' }] } })])).toEqual({});
  });
});

describe('userMessagePreview / userMessageTitle / stripUserMessagePrefix', () => {
  it('strips up to the first marker only', () => {
    expect(stripUserMessagePrefix(`a ${USER_MESSAGE_BEGIN} b ${USER_MESSAGE_BEGIN} c`)).toBe(`b ${USER_MESSAGE_BEGIN} c`);
    expect(stripUserMessagePrefix('  no marker  ')).toBe('no marker');
  });

  it('trims like Rust str::trim (U+0085 and U+3000 are whitespace, U+FEFF is not)', () => {
    expect(stripUserMessagePrefix('\u0085\u3000hi\u2028\u0085')).toBe('hi');
    expect(stripUserMessagePrefix('\uFEFFhi')).toBe('\uFEFFhi');
  });

  it('preview vs title', () => {
    expect(userMessagePreview({ message: 'x' })).toBe('x');
    expect(userMessagePreview({ message: '', images: ['u'] })).toBe('[Image]');
    expect(userMessagePreview({ message: '', images: null, localImages: [] })).toBeNull();
    expect(userMessageTitle({ message: '', images: ['u'] })).toBeNull();
    expect(userMessageTitle({ message: ` ${USER_MESSAGE_BEGIN} t ` })).toBe('t');
  });
});

describe('thread goal', () => {
  it('a goal before any user message sets preview to the trimmed objective; title/first_user_message still come from the first user message', () => {
    const p = derive([goal('  ship the refactor  '), userMessage('first user text')]);
    expect(p).toMatchObject({ preview: 'ship the refactor', firstUserMessage: 'first user text', title: 'first user text' });
  });

  it('a goal after the first user message does not change the preview; a blank objective sets nothing', () => {
    expect(derive([userMessage('first'), goal('later goal')]).preview).toBe('first');
    expect(derive([goal('   ')])).toEqual({});
  });
});

describe('token_count', () => {
  it('with info sets token_usage (total_tokens = tokens_used); later counts win', () => {
    const p = derive([tokenCount(10), tokenCount(42)]);
    expect(p.tokenUsage?.total_tokens).toBe(42);
  });

  it('info: null changes nothing', () => {
    expect(derive([tokenCount(42), tokenCount(null)]).tokenUsage?.total_tokens).toBe(42);
    expect(derive([tokenCount(null)])).toEqual({});
  });

  it('keeps extra usage fields (cache_write_input_tokens in 0.169)', () => {
    const line = ev({ type: 'token_count', info: { total_token_usage: { input_tokens: 1, cached_input_tokens: 0, cache_write_input_tokens: 7, output_tokens: 1, reasoning_output_tokens: 0, total_tokens: 2 } } });
    expect(derive([line]).tokenUsage).toMatchObject({ cache_write_input_tokens: 7, total_tokens: 2 });
  });
});

describe('turn_context', () => {
  it('sets model, reasoning_effort, approval_mode, permission_profile and cwd when no cwd was known', () => {
    const p = derive([turnContext({ cwd: '/repo', model: 'gpt-5.5', effort: 'medium', approval_policy: 'on-request', permission_profile: { type: 'disabled' }, summary: 'auto' })]);
    expect(p).toEqual({ cwd: '/repo', model: 'gpt-5.5', reasoningEffort: 'medium', approvalMode: 'on-request', permissionProfile: { type: 'disabled' } });
  });

  it('does not override a cwd already known from the session meta or the resume params', () => {
    expect(derive([sessionMeta({ cwd: '/child' }), turnContext({ cwd: '/parent', model: 'm' })]).cwd).toBe('/child');
    const { sync } = resumed();
    const cwdKnown = ThreadMetadataSync.forResume({ threadId: THREAD, cwd: '/known', history: [turnContext({ cwd: '/other', model: 'm' })] });
    expect(cwdKnown.takePendingUpdate()?.patch.cwd).toBeUndefined();
    expect(sync.observeAppendedItems([turnContext({ cwd: '/first', model: 'm' })], T0)?.patch.cwd).toBe('/first');
    expect(sync.observeAppendedItems([turnContext({ cwd: '/second', model: 'm' })], T0)?.patch.cwd).toBe('/first'); // merged pending; not overwritten
  });

  it('the latest turn_context in a batch decides model and effort (an absent effort means unchanged)', () => {
    expect(derive([turnContext({ cwd: '/r', model: 'a', effort: 'low' }), turnContext({ cwd: '/r', model: 'b', effort: 'high' })])).toMatchObject({ model: 'b', reasoningEffort: 'high' });
    expect(derive([turnContext({ cwd: '/r', model: 'a', effort: 'low' }), turnContext({ cwd: '/r', model: 'b', effort: null })]).reasoningEffort).toBeUndefined();
  });

  it('renders a non-string approval policy with enum_to_string', () => {
    expect(derive([turnContext({ cwd: '/r', model: 'm', approval_policy: { granular: { sandbox_approval: true } } })]).approvalMode).toBe('{"granular":{"sandbox_approval":true}}');
  });
});

describe('thread_settings_applied (Codex 0.169)', () => {
  it('sets model, provider, effort, approval, permission profile and cwd — the cwd even when one is known', () => {
    const p = derive([
      sessionMeta({ cwd: '/alpha' }),
      settings({ model: 'mock-model-xl', model_provider_id: 'mockB', reasoning_effort: 'high', approval_policy: 'never', permission_profile: { type: 'disabled' }, cwd: '/gamma' }),
    ]);
    expect(p).toMatchObject({ model: 'mock-model-xl', modelProvider: 'mockB', reasoningEffort: 'high', approvalMode: 'never', permissionProfile: { type: 'disabled' }, cwd: '/gamma' });
  });

  it('affects metadata (not a mere touch)', () => {
    expect(rolloutItemAffectsThreadMetadata(settings({ model: 'm' }))).toBe(true);
    expect(rolloutItemAffectsThreadMetadata(completedText('x'))).toBe(true);
    expect(rolloutItemAffectsThreadMetadata(ev({ type: 'item_completed', item: { type: 'Reasoning' } }))).toBe(false);
  });
});

describe('session_meta', () => {
  it('with the thread\'s own id sets created_at, source, thread_source, agent fields, provider, cli_version, cwd, git and memory_mode', () => {
    const p = derive([
      sessionMeta({
        source: { subagent: { thread_spawn: { parent_thread_id: OTHER, depth: 1, agent_path: null, agent_nickname: 'Popper', agent_role: null } } },
        thread_source: 'subagent',
        agent_nickname: 'Popper',
        agent_path: '/root/popper',
        git: { commit_hash: 'abc', branch: 'main' },
        memory_mode: 'disabled',
      }),
    ]);
    expect(p).toEqual({
      createdAt: '2026-11-24T13:17:14.209Z',
      source: { subagent: { thread_spawn: { parent_thread_id: OTHER, depth: 1, agent_path: null, agent_nickname: 'Popper', agent_role: null } } },
      threadSource: 'subagent',
      agentNickname: 'Popper',
      agentRole: null,
      agentPath: '/root/popper',
      modelProvider: 'mockA',
      cliVersion: '0.169.0',
      cwd: '/w',
      gitInfo: { sha: 'abc', branch: 'main' },
      memoryMode: 'disabled',
    });
  });

  it('clears thread_source and agent fields when absent; agent_type is an alias of agent_role', () => {
    expect(derive([sessionMeta({})])).toMatchObject({ threadSource: null, agentNickname: null, agentRole: null, agentPath: null });
    expect(derive([sessionMeta({ agent_type: 'explorer' })]).agentRole).toBe('explorer');
  });

  it('leaves provider / cli_version / cwd unchanged when empty, git when absent, memory_mode unless enabled/disabled', () => {
    const p = derive([sessionMeta({ model_provider: '', cli_version: '', cwd: '', memory_mode: 'polluted' })]);
    expect(p.modelProvider).toBeUndefined();
    expect(p.cliVersion).toBeUndefined();
    expect(p.cwd).toBeUndefined();
    expect(p.gitInfo).toBeUndefined();
    expect(p.memoryMode).toBeUndefined();
    expect(derive([sessionMeta({ memory_mode: 'enabled' })]).memoryMode).toBe('enabled');
  });

  it('a missing source is SessionSource\'s serde default, "vscode"', () => {
    const meta = sessionMeta({});
    delete (meta.payload as Record<string, unknown>).source;
    expect(derive([meta]).source).toBe('vscode');
  });

  it('accepts RFC 3339 (any offset) and the legacy "%Y-%m-%dT%H-%M-%S" timestamp; unparsable leaves created_at unchanged', () => {
    expect(derive([sessionMeta({ timestamp: '2025-07-01T12:00:00+02:00' })]).createdAt).toBe('2025-07-01T10:00:00.000Z');
    expect(derive([sessionMeta({ timestamp: '2025-01-03T12-00-00' })]).createdAt).toBe('2025-01-03T12:00:00.000Z');
    expect(derive([sessionMeta({ timestamp: 'yesterday' })]).createdAt).toBeUndefined();
    // a later unparsable meta of the same thread resets the batch's created_at (Rust assigns the Option)
    expect(derive([sessionMeta({}), sessionMeta({ timestamp: 'bad' })]).createdAt).toBeUndefined();
  });

  it('session metas of other threads (fork copies) are ignored', () => {
    expect(derive([sessionMeta({ id: OTHER, cwd: '/other', model_provider: 'x' })])).toEqual({});
    expect(derive([sessionMeta({}), sessionMeta({ id: OTHER, model_provider: 'x', cwd: '/other' })])).toMatchObject({ modelProvider: 'mockA', cwd: '/w' });
  });
});

describe('parseSessionTimestamp', () => {
  it.each([
    ['2026-11-24T13:17:14.209Z', '2026-11-24T13:17:14.209Z'],
    ['2026-11-24T13:17:14.2099999Z', '2026-11-24T13:17:14.209Z'],
    ['2026-11-24t13:17:14z', '2026-11-24T13:17:14.000Z'],
    ['2026-11-24 13:17:14-05:30', '2026-11-24T18:47:14.000Z'],
    ['2026-11-24T13-17-14', '2026-11-24T13:17:14.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(parseSessionTimestamp(input)).toBe(expected);
  });

  it.each(['', '2026-11-24', '2026-02-30T00:00:00Z', '2026-11-24T13:17:14', '2026-13-01T00:00:00Z', '2026-11-24T13:17:14+25:00'])('rejects %j', (input) => {
    expect(parseSessionTimestamp(input)).toBeUndefined();
  });
});

describe('sessionSourceAgentFields', () => {
  it('reads thread_spawn sub-agents only', () => {
    expect(sessionSourceAgentFields('cli')).toEqual({ agentNickname: null, agentRole: null, agentPath: null });
    expect(sessionSourceAgentFields({ subagent: { thread_spawn: { agent_nickname: 'Popper', agent_role: 'worker', agent_path: '/a' } } })).toEqual({ agentNickname: 'Popper', agentRole: 'worker', agentPath: '/a' });
    expect(sessionSourceAgentFields({ subagent: 'review' })).toEqual({ agentNickname: null, agentRole: null, agentPath: null });
  });
});

describe('recency and updated_at', () => {
  it('task_started advances recency; other items only updated_at', () => {
    const { sync } = resumed();
    const started = sync.observeAppendedItems([taskStarted()], T0)!;
    expect(started.patch).toEqual({ updatedAt: new Date(T0).toISOString(), advanceRecencyAt: new Date(T0).toISOString() });
    sync.markPendingUpdateApplied(started, T0);
    let t = T0;
    for (const items of [[agentMessage()], [tokenCount(5)], [ev({ type: 'task_complete', turn_id: 'turn-1' })]]) {
      t += 10_000; // past the coalescing window, so each append writes
      const u = sync.observeAppendedItems(items, t)!;
      expect(u.patch.advanceRecencyAt).toBeUndefined();
      expect(u.patch.updatedAt).toBe(new Date(t).toISOString());
      sync.markPendingUpdateApplied(u, t);
    }
  });

  it('turn_started (alias) advances recency too', () => {
    const { sync } = resumed();
    expect(sync.observeAppendedItems([ev({ type: 'turn_started', turn_id: 't' })], T0)?.patch.advanceRecencyAt).toBeDefined();
  });
});

describe('touch coalescing', () => {
  it('non-metadata appends within the interval of the last applied touch produce no write until the next barrier', () => {
    const { sync } = resumed();
    const first = sync.observeAppendedItems([compacted()], T0)!;
    expect(first.patch.updatedAt).toBeDefined();
    sync.markPendingUpdateApplied(first, T0);
    expect(sync.observeAppendedItems([compacted()], T0 + THREAD_UPDATED_AT_TOUCH_INTERVAL_MS - 1)).toBeNull();
    const barrier = sync.takePendingUpdateForExistingHistory();
    expect(barrier?.patch).toEqual({ updatedAt: new Date(T0 + THREAD_UPDATED_AT_TOUCH_INTERVAL_MS - 1).toISOString() });
  });

  it('writes again once the interval has passed', () => {
    const { sync } = resumed();
    sync.markPendingUpdateApplied(sync.observeAppendedItems([compacted()], T0)!, T0);
    expect(sync.observeAppendedItems([compacted()], T0 + THREAD_UPDATED_AT_TOUCH_INTERVAL_MS)).not.toBeNull();
  });

  it('metadata facts (in the batch or still pending) bypass coalescing', () => {
    const { sync } = resumed();
    sync.markPendingUpdateApplied(sync.observeAppendedItems([compacted()], T0)!, T0);
    expect(sync.observeAppendedItems([tokenCount(3)], T0 + 1)).not.toBeNull(); // affects metadata
    // the token patch was not applied: it is still pending, so a plain touch is not coalesced
    expect(sync.observeAppendedItems([compacted()], T0 + 2)?.patch.tokenUsage?.total_tokens).toBe(3);
    // a task_started touch carries advance_recency_at, which is a fact
    const { sync: s2 } = resumed();
    s2.markPendingUpdateApplied(s2.observeAppendedItems([compacted()], T0)!, T0);
    expect(s2.observeAppendedItems([taskStarted()], T0 + 1)).not.toBeNull();
  });

  it('uses the configured interval and the injected clock', () => {
    const clock = { now: T0 };
    const sync = ThreadMetadataSync.forResume({ threadId: THREAD }, { touchIntervalMs: 50, clock: () => clock.now });
    const first = sync.observeAppendedItems([compacted()])!;
    expect(first.patch.updatedAt).toBe(new Date(T0).toISOString());
    sync.markPendingUpdateApplied(first); // clock: T0
    clock.now = T0 + 49;
    expect(sync.observeAppendedItems([compacted()])).toBeNull();
    clock.now = T0 + 50;
    expect(sync.observeAppendedItems([compacted()])?.patch.updatedAt).toBe(new Date(T0 + 50).toISOString());
  });

  it('a write without updated_at (resume facts) does not start a coalescing window', () => {
    const { sync } = resumed([userMessage('hi')]);
    sync.markPendingUpdateApplied(sync.takePendingUpdate()!, T0);
    expect(sync.observeAppendedItems([compacted()], T0 + 1)).not.toBeNull();
  });
});

describe('deferral of create-time and resume-derived metadata', () => {
  const create = (extra: Partial<Parameters<typeof ThreadMetadataSync.forCreate>[0]> = {}) =>
    ThreadMetadataSync.forCreate({
      threadId: THREAD,
      source: 'vscode',
      modelProvider: 'mockA',
      cwd: '/repo',
      cliVersion: '0.169.0',
      createdAt: new Date(T0),
      ...extra,
    });

  it('create facts are pending at generation 1 and deferred until the first append (persist flushes regardless)', () => {
    const sync = create({ gitInfo: { sha: 'abc', branch: null, originUrl: 'git@x:y.git' }, threadSource: 'user' });
    expect(sync.pendingGeneration).toBe(1);
    expect(sync.isDeferred).toBe(true);
    expect(sync.takePendingUpdateForExistingHistory()).toBeNull(); // flush / shutdown
    const persist = sync.takePendingUpdate()!; // persist / update_metadata: unconditional
    expect(persist.generation).toBe(1);
    expect(persist.patch).toEqual({
      modelProvider: 'mockA',
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
      source: 'vscode',
      threadSource: 'user',
      agentNickname: null,
      agentRole: null,
      agentPath: null,
      cwd: '/repo',
      cliVersion: '0.169.0',
      memoryMode: 'enabled',
      gitInfo: { sha: 'abc', originUrl: 'git@x:y.git' },
    });
  });

  it('the first append returns create facts merged with the append facts', () => {
    const sync = create({ threadSource: undefined });
    const u = sync.observeAppendedItems([taskStarted(), completedText('first message')], T0 + 100)!;
    expect(u.generation).toBe(2);
    expect(u.patch).toMatchObject({ modelProvider: 'mockA', createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0 + 100).toISOString(), threadSource: null, preview: 'first message', firstUserMessage: 'first message', title: 'first message', advanceRecencyAt: new Date(T0 + 100).toISOString() });
    expect(sync.isDeferred).toBe(false);
  });

  it('create without a cwd writes cwd "" and lets the first turn_context set it', () => {
    const sync = create({ cwd: undefined });
    expect(sync.takePendingUpdate()?.patch.cwd).toBe('');
    expect(sync.observeAppendedItems([turnContext({ cwd: '/from-turn', model: 'm' })], T0)?.patch.cwd).toBe('/from-turn');
  });

  it('create for a sub-agent source fills the agent fields from the source', () => {
    const sync = create({ source: { subagent: { thread_spawn: { parent_thread_id: OTHER, depth: 1, agent_nickname: 'Popper', agent_role: null, agent_path: null } } } });
    expect(sync.takePendingUpdate()?.patch).toMatchObject({ agentNickname: 'Popper', agentRole: null, agentPath: null });
  });

  it('resume history is observed without updated_at and deferred until the first append, then written together', () => {
    const { sync } = resumed([sessionMeta({ timestamp: '2025-01-03T12:00:00Z', model_provider: 'rollout-provider' }), userMessage('hello metadata')]);
    const pending = sync.takePendingUpdate()!;
    expect(pending.patch.updatedAt).toBeUndefined();
    expect(pending.patch).toMatchObject({ createdAt: '2025-01-03T12:00:00.000Z', modelProvider: 'rollout-provider', preview: 'hello metadata', title: 'hello metadata', firstUserMessage: 'hello metadata' });
    expect(sync.takePendingUpdateForExistingHistory()).toBeNull();
    expect(sync.takePendingUpdate()).not.toBeNull(); // taking does not drop retry state
    const u = sync.observeAppendedItems([userMessage('new append')], T0)!;
    expect(u.patch).toMatchObject({ createdAt: '2025-01-03T12:00:00.000Z', preview: 'hello metadata', updatedAt: new Date(T0).toISOString() });
  });

  it('resume without history has nothing pending and nothing deferred', () => {
    const { sync } = resumed();
    expect(sync.takePendingUpdate()).toBeNull();
    expect(sync.isDeferred).toBe(false);
    expect(sync.pendingGeneration).toBe(0);
  });
});

describe('generations and retry', () => {
  it('a failed write (never marked applied) keeps the patch pending; the next append/flush retries it merged', () => {
    const { sync } = resumed();
    const failed = sync.observeAppendedItems([userMessage('first')], T0)!;
    // store.update_thread_metadata failed: no markPendingUpdateApplied
    expect(sync.takePendingUpdateForExistingHistory()?.patch.preview).toBe('first'); // flush retries
    const retry = sync.observeAppendedItems([tokenCount(9)], T0 + 1)!;
    expect(retry.generation).toBe(failed.generation + 1);
    expect(retry.patch).toMatchObject({ preview: 'first', tokenUsage: { total_tokens: 9 }, updatedAt: new Date(T0 + 1).toISOString() });
    sync.markPendingUpdateApplied(retry, T0 + 1);
    expect(sync.takePendingUpdate()).toBeNull();
  });

  it('a successful write of an older generation does not clear a newer pending patch', () => {
    const { sync } = resumed();
    const older = sync.observeAppendedItems([userMessage('first')], T0)!;
    const newer = sync.observeAppendedItems([tokenCount(7)], T0 + 1)!;
    sync.markPendingUpdateApplied(older, T0 + 2);
    expect(sync.takePendingUpdate()).toEqual(newer);
    sync.markPendingUpdateApplied(newer, T0 + 3);
    expect(sync.takePendingUpdate()).toBeNull();
  });

  it('handed-out patches are copies', () => {
    const { sync } = resumed();
    const u = sync.observeAppendedItems([sessionMeta({ git: { commit_hash: 'abc' } })], T0)!;
    (u.patch.gitInfo as { sha?: string }).sha = 'mutated';
    u.patch.title = 'mutated';
    expect(sync.takePendingUpdate()?.patch.gitInfo).toEqual({ sha: 'abc' });
    expect(sync.takePendingUpdate()?.patch.title).toBeUndefined();
  });
});

describe('updateHasMetadataFacts', () => {
  it('ignores updated_at, name and history_mode only', () => {
    expect(updateHasMetadataFacts({})).toBe(false);
    expect(updateHasMetadataFacts({ updatedAt: TS, name: 'n', historyMode: 'legacy' })).toBe(false);
    expect(updateHasMetadataFacts({ advanceRecencyAt: TS })).toBe(true);
    expect(updateHasMetadataFacts({ agentRole: null })).toBe(true);
    expect(updateHasMetadataFacts({ gitInfo: {} })).toBe(true);
  });
});

describe('batch invariance (property)', () => {
  const lineArb = fc.oneof(
    fc.string({ maxLength: 6 }).map((s) => userMessage(s)),
    fc.string({ maxLength: 6 }).map((s) => completedText(s)),
    fc.constant(userMessage('', ['https://i'])),
    fc.nat({ max: 1000 }).map((n) => tokenCount(n + 1)),
    fc.string({ maxLength: 6 }).map((s) => goal(s)),
    fc.constantFrom('a', 'b').map((m) => turnContext({ cwd: `/${m}`, model: m, effort: 'high', approval_policy: 'never' })),
    fc.constant(compacted()),
    fc.constant(agentMessage()),
  );

  it('observing a history in any split into appends yields the same facts as one fold', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 25 }), fc.array(fc.nat({ max: 25 }), { maxLength: 5 }), (lines, cuts) => {
        const whole = derive(lines);
        const sync = ThreadMetadataSync.forResume({ threadId: THREAD });
        const bounds = [0, ...[...new Set(cuts)].filter((c) => c < lines.length).sort((a, b) => a - b), lines.length];
        let merged: ThreadMetadataPatch = {};
        for (let i = 0; i + 1 < bounds.length; i += 1) {
          const batch = lines.slice(bounds[i], bounds[i + 1]);
          if (batch.length === 0) continue;
          const u = sync.observeAppendedItems(batch, T0 + i * 10_000);
          if (u) {
            merged = mergePatch(merged, u.patch);
            sync.markPendingUpdateApplied(u, T0 + i * 10_000);
          }
        }
        const last = sync.takePendingUpdate();
        if (last) merged = mergePatch(merged, last.patch);
        const { updatedAt: _u, advanceRecencyAt: _r, ...facts } = merged;
        expect(facts).toEqual(whole);
        if (lines.length === 0) expect(isEmptyPatch(merged)).toBe(true);
      }),
    );
  });
});
