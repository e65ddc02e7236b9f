// Owns the preparation of appended lines before any store keeps them: validation (InvalidRequest
// naming items[i], including the JSON shape limits of model/jsonValue.ts: depth, cycles, BigInt),
// the persistence policy (stores must not trust callers), the timestamp stamp, size limits
// (ResourceExhausted naming the item), then the lossless stored form (model/storedLine.ts); and the
// searchable text of a line. No plain JS error (RangeError, TypeError) leaves this module:
// serialization failures become InvalidRequest.
import { ResourceExhaustedError } from '../../model/errors.js';
import { asRecord, parseRolloutLine, type RolloutLine, type StoredRolloutLine } from '../../model/rolloutLine.js';
import { encodeLine, type PreparedItem } from '../../model/storedLine.js';
import { isPersistedRolloutItem } from '../../history/persistencePolicy.js';

// The stored form of a line lives in the model (import uses it too); re-exported for the store's callers.
export { decodeLine, encodeLine, isJsonbSafe, type PreparedItem } from '../../model/storedLine.js';

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

/** Validate, filter by the persistence policy and encode. Throws before anything is stored. */
export function prepareItems(items: readonly RolloutLine[], limits: ItemLimits, now: () => string): PreparedItem[] {
  if (items.length > limits.maxItemsPerAppend) {
    throw new ResourceExhaustedError(`append of ${items.length} items exceeds the limit of ${limits.maxItemsPerAppend}`, { path: 'items' });
  }
  const out: PreparedItem[] = [];
  // One stamp per call: the lines of one append are written at one moment (and a clock read per
  // line cost more than the rest of a small line's preparation).
  let stamp: string | undefined;
  items.forEach((item, index) => {
    const where = `items[${index}]`;
    parseRolloutLine(item, where);
    if (!isPersistedRolloutItem(item)) return;
    const line = item.timestamp === undefined ? stamped(item, (stamp ??= now())) : (item as StoredRolloutLine);
    const encoded = encodeLine(line, where);
    if (encoded.byteSize > limits.maxItemBytes) {
      throw new ResourceExhaustedError(`item of ${encoded.byteSize} bytes exceeds the limit of ${limits.maxItemBytes} bytes`, { path: where });
    }
    out.push(encoded);
  });
  return out;
}

/**
 * `item` with `timestamp` set, first among its keys as Codex writes it (also when the caller's line
 * holds the key with the value undefined, which a spread alone would copy over the stamp).
 */
function stamped(item: RolloutLine, timestamp: string): StoredRolloutLine {
  const line = { timestamp, ...item } as StoredRolloutLine;
  line.timestamp = timestamp;
  return line;
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
  const text = texts.length === 1 ? texts[0]! : texts.join('\n');
  if (text === '') return null;
  // Each pass only when needed: this runs for every committed message (the writer hands it to the search indexer).
  const mapped = text.includes('\u0000') || text.includes('\u001e') ? text.replace(/[\u0000\u001e]/g, '\ufffd') : text;
  return mapped.isWellFormed() ? mapped : mapped.toWellFormed();
}
