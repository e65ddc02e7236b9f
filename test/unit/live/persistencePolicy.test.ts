// Spec §13 "Persistence policy & history format" — the statements that are pure functions of the
// policy — plus the fixture rule: every line real Codex 0.169 wrote is persisted.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import {
  NEVER_PERSISTED_RESPONSE_ITEM_TYPES,
  PERSISTED_EVENT_MSG_TYPES,
  isPersistedRolloutItem,
  persistedRolloutItems,
} from '../../../src/history/persistencePolicy.js';
import { loadRolloutFiles } from './codexHomeSample.js';

const TS = '2026-11-24T13:17:14.364Z';
const event = (type: string, extra: Record<string, unknown> = {}): RolloutLine => ({
  timestamp: TS,
  type: 'event_msg',
  payload: { type, ...extra },
});
const response = (type: string, extra: Record<string, unknown> = {}): RolloutLine => ({
  timestamp: TS,
  type: 'response_item',
  payload: { type, ...extra },
});
const itemCompleted = (itemType: string): RolloutLine =>
  event('item_completed', { thread_id: 't', turn_id: 'u', item: { type: itemType, id: 'i' } });

// §4.6 "Everything else is dropped" (a representative, named list) plus other non-allow-listed kinds.
const DROPPED_EVENTS = [
  'error',
  'warning',
  'agent_message_content_delta',
  'agent_message_delta',
  'plan_delta',
  'reasoning_content_delta',
  'reasoning_raw_content_delta',
  'agent_reasoning_delta',
  'exec_command_output_delta',
  'exec_command_begin',
  'exec_command_end',
  'mcp_tool_call_begin',
  'patch_apply_begin',
  'web_search_begin',
  'exec_approval_request',
  'apply_patch_approval_request',
  'request_user_input',
  'elicitation_request',
  'session_configured',
  'stream_error',
  'turn_diff',
  'plan_update',
  'mcp_startup_update',
  'mcp_startup_complete',
  'realtime_conversation_started',
  'hook_started',
  'collab_agent_spawn_begin',
  'collab_agent_spawn_end',
  'shutdown_complete',
  'deprecation_notice',
  'item_started',
  'item_updated',
  'model_reroute',
  'model_verification',
  'guardian_warning',
  'background_event',
  'some_future_event_kind',
];

const PERSISTED_RESPONSE_ITEMS = [
  'message',
  'agent_message',
  'additional_tools',
  'reasoning',
  'local_shell_call',
  'function_call',
  'function_call_output',
  'tool_search_call',
  'tool_search_output',
  'custom_tool_call',
  'custom_tool_call_output',
  'web_search_call',
  'image_generation_call',
  'compaction',
  'context_compaction',
];

describe('persistence policy: event_msg allow-list', () => {
  it.each(DROPPED_EVENTS)('event_msg/%s is never stored', (kind) => {
    expect(isPersistedRolloutItem(event(kind))).toBe(false);
  });

  it.each(PERSISTED_EVENT_MSG_TYPES.filter((t) => t !== 'item_completed'))('event_msg/%s is stored', (kind) => {
    expect(isPersistedRolloutItem(event(kind))).toBe(true);
  });

  it('keeps every §4.6 allow-listed kind on the allow-list', () => {
    const spec = [
      'user_message',
      'agent_message',
      'agent_reasoning',
      'agent_reasoning_raw_content',
      'patch_apply_end',
      'token_count',
      'thread_goal_updated',
      'context_compacted',
      'entered_review_mode',
      'exited_review_mode',
      'mcp_tool_call_end',
      'thread_rolled_back',
      'turn_aborted',
      'task_started',
      'task_complete',
      'web_search_end',
      'image_generation_end',
      'sub_agent_activity',
    ];
    for (const kind of spec) expect(isPersistedRolloutItem(event(kind)), kind).toBe(true);
  });

  it('accepts task_started/turn_started and task_complete/turn_complete as aliases', () => {
    for (const kind of ['task_started', 'turn_started', 'task_complete', 'turn_complete']) {
      expect(isPersistedRolloutItem(event(kind, { turn_id: 'turn-1' })), kind).toBe(true);
    }
  });

  // §13 says item_completed is stored only for Plan/Sleep (policy.rs @0136a73). Codex 0.169 — the
  // version that wrote our sample — persists completed items of every kind (paginated history lives in
  // them), so our policy keeps Plan/Sleep AND every other item kind; only started/updated are dropped.
  it('stores item_completed for Plan and Sleep (§4.6) and for every other turn-item kind (Codex 0.169)', () => {
    for (const kind of ['Plan', 'Sleep', 'UserMessage', 'AgentMessage', 'Reasoning', 'CommandExecution', 'FileChange', 'CollabAgentToolCall', 'ContextCompaction', 'WebSearch', 'SomeFutureItem']) {
      expect(isPersistedRolloutItem(itemCompleted(kind)), kind).toBe(true);
    }
    expect(isPersistedRolloutItem(event('item_completed'))).toBe(false); // malformed: no item
    expect(isPersistedRolloutItem(event('item_started', { item: { type: 'Plan' } }))).toBe(false);
  });

  it('stores thread_settings_applied (a metadata source since Codex 0.16x)', () => {
    expect(isPersistedRolloutItem(event('thread_settings_applied', { thread_settings: { model: 'm' } }))).toBe(true);
  });

  it('drops an event_msg without a type tag', () => {
    expect(isPersistedRolloutItem({ timestamp: TS, type: 'event_msg', payload: { message: 'x' } })).toBe(false);
  });
});

describe('persistence policy: response_item', () => {
  it.each(NEVER_PERSISTED_RESPONSE_ITEM_TYPES)('response_item/%s is never stored', (kind) => {
    expect(isPersistedRolloutItem(response(kind))).toBe(false);
  });

  it.each([...PERSISTED_RESPONSE_ITEMS, 'ghost_snapshot', 'some_future_item'])('response_item/%s is stored', (kind) => {
    expect(isPersistedRolloutItem(response(kind))).toBe(true);
  });
});

describe('persistence policy: non-event variants', () => {
  it.each([
    'session_meta',
    'turn_context',
    'compacted',
    'inter_agent_communication',
    'inter_agent_communication_metadata',
    'world_state',
    'token_usage_record',
  ])('%s is always stored', (type) => {
    expect(isPersistedRolloutItem({ timestamp: TS, type, payload: {} })).toBe(true);
  });

  it('stores unknown (future) top-level variants instead of dropping them', () => {
    for (const type of ['security_risk_score', 'realtime_item', 'rollout_reference', 'x_future']) {
      expect(isPersistedRolloutItem({ timestamp: TS, type, payload: { anything: 1 } }), type).toBe(true);
    }
  });
});

describe('persistedRolloutItems', () => {
  it('returns nothing for a batch of only non-persisted items (append is then a no-op)', () => {
    const batch = [event('agent_message_delta'), event('exec_command_begin'), response('compaction_trigger'), event('item_started')];
    expect(persistedRolloutItems(batch)).toEqual([]);
  });

  it('keeps order and object identity', () => {
    const a = event('task_started');
    const b = event('agent_message_delta');
    const c = response('message', { role: 'user', content: [] });
    const d = { timestamp: TS, type: 'turn_context', payload: { model: 'm' } };
    const out = persistedRolloutItems([a, b, c, d]);
    expect(out).toHaveLength(3);
    expect(out[0]).toBe(a);
    expect(out[1]).toBe(c);
    expect(out[2]).toBe(d);
  });

  it('is an order-preserving, idempotent filter (property)', () => {
    const kinds = [...DROPPED_EVENTS, ...PERSISTED_EVENT_MSG_TYPES];
    const lineArb = fc.oneof(
      fc.constantFrom(...kinds).map((k) => event(k, k === 'item_completed' ? { item: { type: 'UserMessage' } } : {})),
      fc.constantFrom(...PERSISTED_RESPONSE_ITEMS, ...NEVER_PERSISTED_RESPONSE_ITEM_TYPES).map((k) => response(k)),
      fc.constantFrom('session_meta', 'turn_context', 'compacted', 'world_state', 'x_future').map((type) => ({ timestamp: TS, type, payload: {} })),
    );
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 40 }), (lines) => {
        const once = persistedRolloutItems(lines);
        expect(persistedRolloutItems(once)).toEqual(once);
        expect(once).toEqual(lines.filter((l) => isPersistedRolloutItem(l)));
        let i = 0;
        for (const line of lines) if (line === once[i]) i += 1;
        expect(i).toBe(once.length); // subsequence of the input, same order
      }),
    );
  });
});

describe('persistence policy against real Codex 0.169 rollouts', () => {
  const files = loadRolloutFiles();

  it('finds the 26 sample rollout files (930 lines)', () => {
    expect(files).toHaveLength(26);
    expect(files.reduce((n, f) => n + f.lines.length, 0)).toBe(930);
  });

  it.each(files.map((f) => [f.path, f] as const))('persists every line of %s', (_path, file) => {
    const dropped = file.lines.filter((l) => !isPersistedRolloutItem(l)).map((l) => `${l.type}/${JSON.stringify(l.payload).slice(0, 80)}`);
    expect(dropped).toEqual([]);
    expect(persistedRolloutItems(file.lines)).toHaveLength(file.lines.length);
  });

  it('starts every file with its own session_meta', () => {
    for (const f of files) {
      expect(f.lines[0]?.type, f.path).toBe('session_meta');
      expect((f.lines[0]!.payload as { id: string }).id, f.path).toBe(f.threadId);
    }
  });
});
