// Owns the rollout persistence policy: which items a live thread writes to its history (Codex
// `rollout/src/policy.rs`, `is_persisted_rollout_item` / `persisted_rollout_items`). LiveThread
// applies it to decide which appended items are canonical (and so observed for metadata), and every
// store applies it again inside `appendItems` (stores must not trust callers).
//
// DECISION — the policy is the union of two sources, so that we never drop what real Codex writes:
//
// 1. The documented allow-lists (spec §4.6, `policy.rs @0136a73`).
// 2. What Codex CLI 0.169 actually persists, observed in test/fixtures/codex-home-sample (every line
//    of every rollout there must survive this filter; a fixture test enforces it). 0.169 is newer than
//    the policy file in §4.6 and writes paginated history, which adds:
//    * top-level `world_state` and `token_usage_record` (already covered by rule "non-event variants
//      are always persisted");
//    * `event_msg/thread_settings_applied` (dropped by the older policy; now a metadata source: model,
//      provider, effort, cwd, approval);
//    * `event_msg/item_completed` for every turn-item kind (UserMessage, AgentMessage, Reasoning,
//      CommandExecution, FileChange, CollabAgentToolCall, ContextCompaction, ... — the older policy
//      kept only Plan/Sleep). Paginated threads store their transcript as completed turn items, so a
//      store that kept only Plan/Sleep would lose the conversation. We therefore persist
//      `item_completed` whatever the item type (the item set grows with every Codex release).
//    We also keep `event_msg/thread_name_updated`: Codex's own local store writes it into rollouts on
//    rename (§3.2, §4.4), so imported or replayed histories contain it.
//
// Everything §4.6 lists as dropped stays dropped: deltas, `*_begin` events, `item_started` /
// `item_updated`, approval requests, `exec_command_end`, `session_configured`, `stream_error`,
// errors/warnings, `turn_diff`, `plan_update`, MCP startup, realtime, hooks, collab begin/end,
// `shutdown_complete`, `deprecation_notice`, guardian/moderation/reroute/verification events, and
// every other event kind not on the allow-list; `response_item` `compaction_trigger` and `other` are
// never persisted.
//
// Unknown top-level rollout types (e.g. a future `security_risk_score`, `realtime_item`,
// `rollout_reference`) ARE persisted: an unknown variant is data from a newer writer, and a storage
// layer must not silently lose it. Unknown `response_item` types are persisted as well ("all other
// response items are stored", §13); only the two named never-persist kinds are filtered.
import { asRecord, payloadTypeOf, type RolloutLine } from '../model/rolloutLine.js';

/** Top-level variants that are always persisted (every non-`event_msg`, non-`response_item` variant). */
export const ALWAYS_PERSISTED_ROLLOUT_TYPES: readonly string[] = [
  'session_meta',
  'turn_context',
  'compacted',
  'inter_agent_communication',
  'inter_agent_communication_metadata',
  'world_state',
  'token_usage_record',
];

/** `response_item` payload types that are never persisted. */
export const NEVER_PERSISTED_RESPONSE_ITEM_TYPES: readonly string[] = ['compaction_trigger', 'other'];

/** `event_msg` payload types that are persisted (allow-list). `item_completed` is handled separately. */
export const PERSISTED_EVENT_MSG_TYPES: readonly string[] = [
  // §4.6 (policy.rs @0136a73)
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
  'turn_started', // serde alias of task_started
  'task_complete',
  'turn_complete', // serde alias of task_complete
  'web_search_end',
  'image_generation_end',
  'sub_agent_activity',
  // written by Codex CLI 0.169 (see the header comment)
  'thread_settings_applied',
  'item_completed',
  // written into rollouts by Codex's local store on rename
  'thread_name_updated',
];

const NEVER_RESPONSE = new Set(NEVER_PERSISTED_RESPONSE_ITEM_TYPES);
const EVENTS = new Set(PERSISTED_EVENT_MSG_TYPES);

/** True when `line` belongs in the durable history of a thread. */
export function isPersistedRolloutItem(line: RolloutLine): boolean {
  switch (line.type) {
    case 'response_item': {
      const t = payloadTypeOf(line);
      // A response item without a type tag is still model-visible data: keep it.
      return t === undefined || !NEVER_RESPONSE.has(t);
    }
    case 'event_msg': {
      const t = payloadTypeOf(line);
      if (t === undefined || !EVENTS.has(t)) return false;
      if (t === 'item_completed') return asRecord(asRecord(line.payload)?.item) !== undefined;
      return true;
    }
    default:
      // Known non-event variants (ALWAYS_PERSISTED_ROLLOUT_TYPES) and unknown (future) top-level
      // variants are all persisted.
      return true;
  }
}

/** The persisted subset of `lines`, in order (same objects, not copies). */
export function persistedRolloutItems<T extends RolloutLine>(lines: readonly T[]): T[] {
  return lines.filter((line) => isPersistedRolloutItem(line));
}
