// Owns the pure, per-item pieces of Codex's metadata derivation (`state/src/extract.rs`,
// `thread-store/src/thread_metadata_sync.rs`): how a user message becomes preview / title /
// first_user_message, which rollout items can change thread metadata, session timestamps, and the
// agent fields carried by a sub-agent SessionSource. `metadataSync.ts` folds items with these.
import { asRecord, payloadTypeOf, type RolloutLine } from '../model/rolloutLine.js';
import type { SessionSource } from '../model/thread.js';

/** Codex `USER_MESSAGE_BEGIN`: everything up to and including it is harness text, not the request. */
export const USER_MESSAGE_BEGIN = '## My request for Codex:';
/** Preview / first_user_message of a user message that has images but no text. */
export const IMAGE_ONLY_USER_MESSAGE_PLACEHOLDER = '[Image]';

/** The parts of a user message that metadata derivation looks at. */
export interface UserMessageView {
  /** The text (for a completed `UserMessage` turn item: its text inputs concatenated). */
  message: string;
  /** Remote / data-URL images. */
  images?: readonly string[] | null;
  /** Local image paths. */
  localImages?: readonly string[] | null;
}

// Rust `str::trim` trims Unicode White_Space, which differs from JS `String.prototype.trim`
// (Rust trims U+0085 NEXT LINE, JS does not; JS trims U+FEFF, Rust does not). Real rollouts contain
// raw U+0085, so use Rust's set.
const RUST_WHITESPACE =
  '\\u0009-\\u000D\\u0020\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const LEADING_WS = new RegExp(`^[${RUST_WHITESPACE}]+`, 'u');
const TRAILING_WS = new RegExp(`[${RUST_WHITESPACE}]+$`, 'u');

/** Rust `str::trim` (Unicode White_Space on both ends). */
export function rustTrim(text: string): string {
  return text.replace(LEADING_WS, '').replace(TRAILING_WS, '');
}

/** Text after the first `## My request for Codex:` (or the whole text), trimmed. */
export function stripUserMessagePrefix(text: string): string {
  const idx = text.indexOf(USER_MESSAGE_BEGIN);
  return rustTrim(idx === -1 ? text : text.slice(idx + USER_MESSAGE_BEGIN.length));
}

function hasImages(user: UserMessageView): boolean {
  return (user.images?.length ?? 0) > 0 || (user.localImages?.length ?? 0) > 0;
}

/**
 * Preview / first_user_message of a user message: the stripped text; `[Image]` when the text is
 * empty but the message carries images; `null` (sets nothing) for a blank message without images.
 */
export function userMessagePreview(user: UserMessageView): string | null {
  const message = stripUserMessagePrefix(user.message);
  if (message !== '') return message;
  if (hasImages(user)) return IMAGE_ONLY_USER_MESSAGE_PLACEHOLDER;
  return null;
}

/** Derived title of a user message: the stripped text, never the `[Image]` placeholder; `null` if empty. */
export function userMessageTitle(user: UserMessageView): string | null {
  const title = stripUserMessagePrefix(user.message);
  return title === '' ? null : title;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * The user message carried by a rollout line, if any: legacy `event_msg/user_message`, or (Codex
 * ≥ 0.16x paginated history) `event_msg/item_completed` with a `UserMessage` turn item, whose text
 * inputs are concatenated like Codex's `UserMessageItem::message()` and whose `image` /
 * `local_image` inputs count as images. `response_item` user messages are never used (Codex derives
 * title / first_user_message from events only: response items also carry harness context).
 */
export function userMessageFromRolloutLine(line: RolloutLine): UserMessageView | undefined {
  if (line.type !== 'event_msg') return undefined;
  const payload = asRecord(line.payload);
  if (!payload) return undefined;
  if (payload.type === 'user_message') {
    return {
      message: typeof payload.message === 'string' ? payload.message : '',
      images: stringList(payload.images),
      localImages: stringList(payload.local_images),
    };
  }
  if (payload.type === 'item_completed') {
    const item = asRecord(payload.item);
    if (!item || item.type !== 'UserMessage') return undefined;
    let message = '';
    const images: string[] = [];
    const localImages: string[] = [];
    for (const raw of Array.isArray(item.content) ? item.content : []) {
      const input = asRecord(raw);
      if (!input) continue;
      if (input.type === 'text' && typeof input.text === 'string') message += input.text;
      else if (input.type === 'image' && typeof input.image_url === 'string') images.push(input.image_url);
      else if (input.type === 'local_image' && typeof input.path === 'string') localImages.push(input.path);
    }
    return { message, images, localImages };
  }
  return undefined;
}

/**
 * Codex `rollout_item_affects_thread_metadata` (newest revision): `session_meta`, `turn_context`,
 * `event_msg/{token_count, user_message, thread_goal_updated, thread_settings_applied}` and
 * `event_msg/item_completed` with a `UserMessage` item.
 */
export function rolloutItemAffectsThreadMetadata(line: RolloutLine): boolean {
  switch (line.type) {
    case 'session_meta':
    case 'turn_context':
      return true;
    case 'event_msg': {
      const t = payloadTypeOf(line);
      if (t === 'token_count' || t === 'user_message' || t === 'thread_goal_updated' || t === 'thread_settings_applied') {
        return true;
      }
      return t === 'item_completed' && asRecord(asRecord(line.payload)?.item)?.type === 'UserMessage';
    }
    default:
      return false;
  }
}

/** A new turn (`task_started`, alias `turn_started`) advances the thread's recency. */
export function rolloutItemAdvancesRecency(line: RolloutLine): boolean {
  if (line.type !== 'event_msg') return false;
  const t = payloadTypeOf(line);
  return t === 'task_started' || t === 'turn_started';
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const FILENAME_TS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})$/;

function utcMillis(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), ms);
  const check = new Date(t);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return undefined; // e.g. Feb 30
  return t;
}

/**
 * Codex `parse_session_timestamp`: RFC 3339 (any offset), else the legacy `%Y-%m-%dT%H-%M-%S` form
 * read as UTC. Returns a millisecond ISO string (sub-millisecond digits are truncated), or
 * `undefined` when unparsable (the patch then leaves `created_at` unchanged).
 */
export function parseSessionTimestamp(value: string): string | undefined {
  let millis: number | undefined;
  const m = RFC3339.exec(value);
  if (m) {
    const frac = m[7] ?? '';
    const ms = frac === '' ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
    millis = utcMillis(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
    if (millis !== undefined && m[8] === undefined) {
      const oh = +m[10]!;
      const om = +m[11]!;
      if (oh > 23 || om > 59) return undefined;
      const sign = m[9] === '-' ? -1 : 1;
      millis -= sign * (oh * 60 + om) * 60_000;
    }
  } else {
    const f = FILENAME_TS.exec(value);
    if (f) millis = utcMillis(+f[1]!, +f[2]!, +f[3]!, +f[4]!, +f[5]!, +f[6]!, 0);
  }
  if (millis === undefined || !Number.isFinite(millis)) return undefined;
  const date = new Date(millis);
  const year = date.getUTCFullYear();
  return year >= 0 && year <= 9999 ? date.toISOString() : undefined;
}

/** Agent fields of a SessionSource (`get_nickname` / `get_agent_role` / `get_agent_path`). */
export interface SessionSourceAgentFields {
  agentNickname: string | null;
  agentRole: string | null;
  agentPath: string | null;
}

/**
 * Only thread-spawned sub-agents (`{"subagent":{"thread_spawn":{agent_nickname, agent_role,
 * agent_path, ...}}}`) carry agent fields; every other source yields nulls.
 */
export function sessionSourceAgentFields(source: SessionSource): SessionSourceAgentFields {
  const spawn = typeof source === 'string' ? undefined : asRecord(asRecord(source.subagent)?.thread_spawn);
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    agentNickname: str(spawn?.agent_nickname),
    agentRole: str(spawn?.agent_role ?? spawn?.agent_type),
    agentPath: str(spawn?.agent_path),
  };
}

/** Codex `enum_to_string`: a JSON string as is, any other JSON value as its JSON text. */
export function enumToString(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}
