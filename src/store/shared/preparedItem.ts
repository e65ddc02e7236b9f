// Owns the preparation of appended lines before any store keeps them: validation (InvalidRequest
// naming items[i], including the JSON shape limits of model/jsonValue.ts: depth, cycles, BigInt),
// the persistence policy (stores must not trust callers), the timestamp stamp, size limits
// (ResourceExhausted naming the item), and the lossless encoding for PostgreSQL: JSONB cannot hold
// \u0000 or lone surrogates, so such a line is kept whole as JSON text instead. No plain JS error
// (RangeError, TypeError) leaves this module: serialization failures become InvalidRequest.
import { InvalidRequestError, ResourceExhaustedError } from '../../model/errors.js';
import { asRecord, parseRolloutLine, payloadTypeOf, type RolloutLine, type StoredRolloutLine } from '../../model/rolloutLine.js';
import { isPersistedRolloutItem } from '../../live/persistencePolicy.js';

export interface ItemLimits {
  /** Largest accepted line, as UTF-8 JSON bytes. */
  maxItemBytes: number;
  /** Most lines accepted in one append. */
  maxItemsPerAppend: number;
}

export const DEFAULT_ITEM_LIMITS: ItemLimits = {
  maxItemBytes: 64 * 1024 * 1024,
  maxItemsPerAppend: 100_000,
};

export interface PreparedItem {
  line: StoredRolloutLine;
  type: string;
  subtype: string | null;
  /** JSON of the payload when JSONB can hold the line, else null. */
  payloadJson: string | null;
  /** JSON of top-level keys other than timestamp/type/payload, or null when there are none. */
  extraJson: string | null;
  /** The whole line as JSON text when JSONB cannot hold it. */
  rawLine: string | null;
  byteSize: number;
}

// An escape that JSON.stringify emits only for NUL or a lone surrogate, preceded by an even number
// of backslashes (so an escaped backslash followed by "u0000" in the data is not mistaken for one).
const JSONB_UNSAFE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

export function isJsonbSafe(json: string): boolean {
  return !JSONB_UNSAFE_ESCAPE.test(json);
}

/** Validate, filter by the persistence policy and encode. Throws before anything is stored. */
export function prepareItems(items: readonly RolloutLine[], limits: ItemLimits, now: () => string): PreparedItem[] {
  if (items.length > limits.maxItemsPerAppend) {
    throw new ResourceExhaustedError(`append of ${items.length} items exceeds the limit of ${limits.maxItemsPerAppend}`, { path: 'items' });
  }
  const out: PreparedItem[] = [];
  items.forEach((item, index) => {
    const where = `items[${index}]`;
    parseRolloutLine(item, where);
    if (!isPersistedRolloutItem(item)) return;
    const line = (item.timestamp === undefined ? { timestamp: now(), ...item } : item) as StoredRolloutLine;
    const encoded = encodeLine(line, where);
    if (encoded.byteSize > limits.maxItemBytes) {
      throw new ResourceExhaustedError(`item of ${encoded.byteSize} bytes exceeds the limit of ${limits.maxItemBytes} bytes`, { path: where });
    }
    out.push(encoded);
  });
  return out;
}

/**
 * JSON.stringify that cannot throw a plain error: parseRolloutLine has checked the shape, so a
 * failure here is a value that changed under us (a getter, a toJSON) — still the caller's input.
 */
function stringify(value: unknown, where: string): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new InvalidRequestError(`cannot be serialized as JSON (${error instanceof Error ? error.message : String(error)})`, { path: where, cause: error });
  }
}

/**
 * Encode a line for storage. Its payload (and other top-level keys) are serialized once: the line's
 * JSON size and whether JSONB can hold it follow from the parts (the same key/value pairs as
 * JSON.stringify(line), in whatever order, have the same byte length; the escapes JSONB refuses
 * come from string values, so a line is safe when each part is). Only a line JSONB cannot hold is
 * serialized whole, in its own key order, to be kept as raw JSON text.
 */
export function encodeLine(line: StoredRolloutLine, where = 'line'): PreparedItem {
  const { timestamp, type, payload, ...rest } = line;
  const payloadJson = stringify(payload, `${where}.payload`);
  const hasExtra = Object.keys(rest).length > 0;
  const extraJson = hasExtra ? stringify(rest, where) : null;
  const head = stringify({ timestamp, type }, where);
  const parts = [head, payloadJson, ...(extraJson !== null && extraJson !== '{}' ? [extraJson] : [])];
  const safe = parts.every(isJsonbSafe);
  // '{' + head's pairs + ',"payload":' + payload + (',' + extra's pairs) + '}'; a payload that
  // serializes to undefined (JSON.stringify drops the key) is left to the whole-line path below.
  const composable = payloadJson !== undefined && head !== '{}';
  if (!safe || !composable) {
    const text = stringify(line, where);
    return {
      line,
      type,
      subtype: payloadTypeOf(line) ?? null,
      payloadJson: safe ? (payloadJson ?? null) : null,
      extraJson: safe ? extraJson : null,
      rawLine: safe ? null : text,
      byteSize: Buffer.byteLength(text, 'utf8'),
    };
  }
  const byteSize =
    Buffer.byteLength(head, 'utf8') + Buffer.byteLength(payloadJson, 'utf8') + ',"payload":'.length + (extraJson !== null && extraJson !== '{}' ? Buffer.byteLength(extraJson, 'utf8') - 1 : 0);
  return { line, type, subtype: payloadTypeOf(line) ?? null, payloadJson, extraJson, rawLine: null, byteSize };
}

/** Rebuild a line from its stored columns (inverse of encodeLine). */
export function decodeLine(row: { ts: string; type: string; payload: unknown; extra: unknown; raw_line: string | null }): StoredRolloutLine {
  if (row.raw_line !== null) return JSON.parse(row.raw_line) as StoredRolloutLine;
  const extra = asRecord(row.extra) ?? {};
  return { timestamp: row.ts, type: row.type, payload: row.payload, ...extra } as StoredRolloutLine;
}

const CONTEXTUAL_PREFIX = /^\s*<(environment_context|user_instructions|user_shell_command|turn_aborted|token_budget|context_window|permissions instructions|skills_instructions|subagent_notification)\b/;

/**
 * Visible user/assistant text, for content search: message response items only, input_text /
 * output_text parts joined by a newline, contextual fragments left out. U+0000, U+001E (the record
 * separator of a search document) and lone surrogates become U+FFFD, so text in a line that had to
 * be kept as raw JSON text is found like any other. PostgreSQL folds and searches with the same rule
 * in SQL (thread_store.search_text, drizzle/0009_*.sql); test/store/searchText.test.ts holds the
 * two to the same answers.
 */
export function searchTextOf(line: RolloutLine): string | null {
  if (line.type !== 'response_item') return null;
  const payload = asRecord(line.payload);
  if (!payload || payload.type !== 'message') return null;
  if (payload.role !== 'user' && payload.role !== 'assistant') return null;
  const content = Array.isArray(payload.content) ? payload.content : [];
  const texts: string[] = [];
  for (const part of content) {
    const p = asRecord(part);
    if (!p || typeof p.text !== 'string') continue;
    if (p.type !== 'input_text' && p.type !== 'output_text') continue;
    if (CONTEXTUAL_PREFIX.test(p.text)) continue;
    texts.push(p.text);
  }
  const text = texts.join('\n');
  return text === '' ? null : text.replace(/[\u0000\u001e]/g, '\ufffd').toWellFormed();
}
