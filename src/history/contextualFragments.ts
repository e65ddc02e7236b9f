// Owns the classification of model-visible messages that Codex injects itself (environment context,
// AGENTS.md instructions, permissions/token-budget developer text, interrupt markers, ...) versus
// messages a user actually typed. Rollback, fork and legacy-compaction replay all count "user
// turns", and every one of them must skip the injected fragments exactly like Codex does, or the
// counts drift and a rollback removes the wrong turn.
//
// Rules mirror Codex `core/src/context/*` (ContextualUserFragment registry, marker pairs compared
// case-insensitively after trimming) and `event_mapping.rs` (CONTEXTUAL_DEVELOPER_PREFIXES, §8.4).
// A message is contextual when ANY of its text parts is a contextual fragment: Codex never mixes a
// fragment with typed text in one message, and using `any` keeps our counts equal to Codex's.
import { asRecord } from '../model/rolloutLine.js';

/**
 * Codex's compaction summary prefix (`templates/compact/summary_prefix.md`). A summary message is
 * `SUMMARY_PREFIX + "\n" + summary`; it is a user-role message but not a user turn.
 */
export const SUMMARY_PREFIX =
  'Another language model started to solve this problem and produced a summary of its thinking process. ' +
  'You also have access to the state of the tools that were used by that language model. ' +
  'Use this to build on the work that has already been done and avoid duplicating work. ' +
  'Here is the summary produced by the other language model, use the information in this summary to assist with your own analysis:';

/** Developer-role prefixes Codex treats as injected context (§8.4 list, incl. legacy `<token_budget>`). */
export const CONTEXTUAL_DEVELOPER_PREFIXES: readonly string[] = [
  '<permissions instructions>',
  '<model_switch>',
  '<managed_developer_instructions>',
  '<apps_instructions>',
  '<collaboration_mode>',
  '<multi_agent_mode>',
  '<environments_instructions>',
  '<git_attribution>',
  '<plugins_instructions>',
  '<realtime_conversation>',
  '<skills_instructions>',
  '<tools>',
  '<personality_spec>',
  '<token_budget>',
  '<context_window>',
  '<context_window_guidance>',
  '<rollout_budget>',
];

/** Fragments recognised by an opening AND a closing marker (Codex `matches_marked_text`). */
const MARKED_USER_FRAGMENTS: ReadonlyArray<readonly [string, string]> = [
  ['# AGENTS.md instructions for ', '</INSTRUCTIONS>'],
  ['<skill>', '</skill>'],
  ['<user_shell_command>', '</user_shell_command>'],
  ['<subagent_notification>', '</subagent_notification>'],
  ['<extension_context>', '</extension_context>'],
  ['<goal_context>', '</goal_context>'],
  ['<recommended_plugins>', '</recommended_plugins>'],
  // Model-visible lineage fragments are developer messages, but older rollouts and third-party
  // writers put them in user messages too; they are never something a user typed.
  ['<token_budget>', '</token_budget>'],
  ['<context_window>', '</context_window>'],
];

/**
 * Fragments recognised by the opening marker alone: older Codex builds matched the session prefix
 * (`is_session_prefix`) and the interrupt marker by prefix only, and their rollouts must replay.
 */
const PREFIX_USER_FRAGMENTS: readonly string[] = ['<environment_context>', '<user_instructions>', '<turn_aborted>'];

/** Warnings older builds injected as user messages (Codex's Legacy*Warning fragments). */
const LEGACY_WARNING_PREFIXES: readonly string[] = [
  'Warning: The maximum number of unified exec processes you can keep open is',
  'Warning: Your account was flagged for potentially high-risk cyber activity',
];

function startsWithIgnoreCase(text: string, marker: string): boolean {
  return text.length >= marker.length && text.slice(0, marker.length).toLowerCase() === marker.toLowerCase();
}

function endsWithIgnoreCase(text: string, marker: string): boolean {
  return text.length >= marker.length && text.slice(text.length - marker.length).toLowerCase() === marker.toLowerCase();
}

function matchesMarked(text: string, start: string, end: string): boolean {
  const trimmed = text.trimStart();
  return startsWithIgnoreCase(trimmed, start) && endsWithIgnoreCase(trimmed.trimEnd(), end);
}

/** `<external_KEY>…</external_KEY>`: hook "additional context" fragments with an arbitrary key. */
function isAdditionalContext(trimmed: string): boolean {
  const m = /^<external_([^>\s]+)>/.exec(trimmed);
  return m !== null && trimmed.endsWith(`</external_${m[1]}>`);
}

/** `<codex_internal_context source="snake_case">…</codex_internal_context>`. */
function isInternalModelContext(trimmed: string): boolean {
  return /^<codex_internal_context source="[a-z][a-z0-9_]*">[\s\S]*<\/codex_internal_context>$/.test(trimmed);
}

/** `<hook_prompt hook_run_id="…">…</hook_prompt>` with a non-blank run id. */
function isHookPrompt(trimmed: string): boolean {
  const m = /^<hook_prompt\b[^>]*\bhook_run_id="([^"]*)"[^>]*>[\s\S]*<\/hook_prompt>$/.exec(trimmed);
  return m !== null && m[1]!.trim() !== '';
}

function isLegacyWarning(trimmed: string): boolean {
  if (LEGACY_WARNING_PREFIXES.some((p) => trimmed.startsWith(p))) return true;
  return (
    trimmed.startsWith('Warning: apply_patch was requested via ') &&
    trimmed.endsWith('Use the apply_patch tool instead of exec_command.')
  );
}

/** True when a user-role text part is injected context rather than typed input. */
export function isContextualUserText(text: string): boolean {
  const trimmedStart = text.trimStart();
  if (PREFIX_USER_FRAGMENTS.some((marker) => startsWithIgnoreCase(trimmedStart, marker))) return true;
  if (MARKED_USER_FRAGMENTS.some(([start, end]) => matchesMarked(text, start, end))) return true;
  const trimmed = text.trim();
  return isAdditionalContext(trimmed) || isInternalModelContext(trimmed) || isHookPrompt(trimmed) || isLegacyWarning(trimmed);
}

/** True when a developer-role text part is one of the injected, rollback-trimmable fragments. */
export function isContextualDeveloperText(text: string): boolean {
  const trimmed = text.trimStart();
  return CONTEXTUAL_DEVELOPER_PREFIXES.some((prefix) => startsWithIgnoreCase(trimmed, prefix));
}

/** Codex compaction summary (`is_summary_message`). */
export function isSummaryText(text: string): boolean {
  return text.startsWith(`${SUMMARY_PREFIX}\n`);
}

/** The message fields this module reads; anything else in the payload is ignored and kept. */
export interface MessageView {
  role: string;
  /** `input_text` parts only, in order (what Codex's fragment matchers look at). */
  inputTexts: string[];
  /** Every text-bearing part (`input_text` and `output_text`), in order. */
  texts: string[];
  content: unknown[];
}

/** Read a `message` response item payload; undefined for any other payload. */
export function messageView(payload: unknown): MessageView | undefined {
  const p = asRecord(payload);
  if (!p || p.type !== 'message' || typeof p.role !== 'string') return undefined;
  const content = Array.isArray(p.content) ? p.content : [];
  const inputTexts: string[] = [];
  const texts: string[] = [];
  for (const part of content) {
    const r = asRecord(part);
    if (!r || typeof r.text !== 'string') continue;
    if (r.type === 'input_text') inputTexts.push(r.text);
    if (r.type === 'input_text' || r.type === 'output_text') texts.push(r.text);
  }
  return { role: p.role, inputTexts, texts, content };
}

/** A user message whose content carries an injected fragment (Codex `is_contextual_user_message_content`). */
export function isContextualUserMessage(payload: unknown): boolean {
  const m = messageView(payload);
  return m !== undefined && m.role === 'user' && m.inputTexts.some(isContextualUserText);
}

/** A developer message carrying one of the contextual developer prefixes. */
export function isContextualDeveloperMessage(payload: unknown): boolean {
  const m = messageView(payload);
  return m !== undefined && m.role === 'developer' && m.inputTexts.some(isContextualDeveloperText);
}

/** A compaction summary message (user role, text starting with SUMMARY_PREFIX + "\n"). */
export function isSummaryMessage(payload: unknown): boolean {
  const m = messageView(payload);
  return m !== undefined && m.role === 'user' && m.inputTexts.some(isSummaryText);
}

/**
 * A message the user typed: role `user`, not contextual, not a compaction summary. This is what
 * Codex's `parse_turn_item` turns into a `UserMessage` (summaries are filtered separately there; we
 * fold that in because a summary never represents a turn the user took).
 */
export function isRealUserMessage(payload: unknown): boolean {
  const m = messageView(payload);
  if (!m || m.role !== 'user') return false;
  if (m.inputTexts.some(isContextualUserText)) return false;
  return !m.inputTexts.some(isSummaryText);
}

/** An assistant message whose text is a serialized inter-agent communication (legacy envelope). */
function isInterAgentInstruction(m: MessageView): boolean {
  if (m.role !== 'assistant' || m.texts.length !== 1) return false;
  // Only a JSON object can be one; checking the first character first avoids a thrown (slow)
  // JSON.parse for every ordinary assistant message on the resume path.
  const text = m.texts[0]!.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return false;
  try {
    const parsed = asRecord(JSON.parse(text));
    return (
      parsed !== undefined &&
      typeof parsed.author === 'string' &&
      typeof parsed.recipient === 'string' &&
      typeof parsed.content === 'string' &&
      typeof parsed.trigger_turn === 'boolean'
    );
  } catch {
    return false;
  }
}

/**
 * Codex `is_user_turn_boundary`: the response items that open a user turn for rollback purposes —
 * real user messages, inter-agent `agent_message` items, and legacy assistant inter-agent envelopes.
 */
export function isUserTurnBoundary(payload: unknown): boolean {
  if (asRecord(payload)?.type === 'agent_message') return true;
  const m = messageView(payload);
  if (!m) return false;
  if (m.role === 'user') return isRealUserMessage(payload);
  return isInterAgentInstruction(m);
}

const IMAGE_TAG_RE = /^<\/?(?:image|local_image)\b[^>]*>$/;

/**
 * The text of a real user message as Codex's `UserMessageItem::message()` flattens it: the text
 * parts joined with "" (image wrapper tags such as `<image name=[Image #1]>` are not text the user
 * typed and are skipped like newer Codex does).
 */
export function userMessageText(payload: unknown): string {
  const m = messageView(payload);
  if (!m) return '';
  return m.inputTexts.filter((t) => !IMAGE_TAG_RE.test(t.trim())).join('');
}
