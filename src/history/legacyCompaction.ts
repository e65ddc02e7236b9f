// Owns the rebuild of model-visible history for a legacy `compacted` record that carries only a
// summary `message` (no `replacement_history`), exactly as Codex replays it:
// `build_compacted_history([], collect_user_messages(history), message)` — the earlier real user
// messages (newest kept first within a 20k-token budget) followed by the summary as a user message.
import { isRealUserMessage, userMessageText } from './contextualFragments.js';

/** Codex `COMPACT_USER_MESSAGE_MAX_TOKENS`. */
export const COMPACT_USER_MESSAGE_MAX_TOKENS = 20_000;

/** Codex approximates 4 bytes of UTF-8 per token everywhere it budgets text. */
const BYTES_PER_TOKEN = 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Codex `approx_token_count`: ceil(utf8 bytes / 4). */
export function approxTokenCount(text: string): number {
  return Math.ceil(encoder.encode(text).length / BYTES_PER_TOKEN);
}

/**
 * Codex `truncate_text(text, TruncationPolicy::Tokens(n))`: keep the head and tail halves of the
 * byte budget (moved to UTF-8 boundaries) and put `…N tokens truncated…` in the middle.
 */
export function truncateMiddleToTokens(text: string, maxTokens: number): string {
  const bytes = encoder.encode(text);
  const budget = Math.max(0, maxTokens) * BYTES_PER_TOKEN;
  if (bytes.length <= budget) return text;
  let left = Math.floor(budget / 2);
  let right = bytes.length - (budget - left);
  while (left > 0 && (bytes[left]! & 0xc0) === 0x80) left -= 1;
  while (right < bytes.length && (bytes[right]! & 0xc0) === 0x80) right += 1;
  const removedTokens = Math.ceil((bytes.length - budget) / BYTES_PER_TOKEN);
  return `${decoder.decode(bytes.subarray(0, left))}…${removedTokens} tokens truncated…${decoder.decode(bytes.subarray(right))}`;
}

/** Codex `collect_user_messages`: texts of the real user messages (summaries are not real ones). */
export function collectUserMessages(history: readonly unknown[]): string[] {
  return history.filter(isRealUserMessage).map(userMessageText);
}

function userMessage(text: string): { type: 'message'; role: 'user'; content: [{ type: 'input_text'; text: string }] } {
  return { type: 'message', role: 'user', content: [{ type: 'input_text', text }] };
}

/**
 * Codex `build_compacted_history(initial_context, user_messages, summary)`: the newest user
 * messages that fit the token budget (the oldest one that does not fit is middle-truncated into
 * what is left), restored to chronological order, then the summary (`(no summary available)` when
 * empty). Replay passes an empty initial context: Codex re-injects context on the next turn.
 */
export function buildCompactedHistory(
  initialContext: readonly unknown[],
  userMessages: readonly string[],
  summaryText: string,
  maxTokens: number = COMPACT_USER_MESSAGE_MAX_TOKENS,
): unknown[] {
  const selected: string[] = [];
  let remaining = maxTokens;
  if (maxTokens > 0) {
    for (let i = userMessages.length - 1; i >= 0 && remaining > 0; i -= 1) {
      const message = userMessages[i]!;
      const tokens = approxTokenCount(message);
      if (tokens <= remaining) {
        selected.push(message);
        remaining -= tokens;
      } else {
        selected.push(truncateMiddleToTokens(message, remaining));
        break;
      }
    }
    selected.reverse();
  }
  return [
    ...initialContext,
    ...selected.map(userMessage),
    userMessage(summaryText === '' ? '(no summary available)' : summaryText),
  ];
}

/** The history a message-only compaction leaves behind, given the history before it. */
export function rebuildAfterLegacyCompaction(history: readonly unknown[], summaryMessage: string): unknown[] {
  return buildCompactedHistory([], collectUserMessages(history), summaryMessage);
}
