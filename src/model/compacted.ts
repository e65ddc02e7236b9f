// Owns the reading of `compacted` payloads (Codex CompactedItem) including legacy shapes:
// a numeric `window_id` (pre-#28953) becomes the window number when `window_number` is absent;
// window ids are accepted only when they are UUIDv7 (anything else reads as absent, the raw
// payload is never changed).
import { asRecord } from './rolloutLine.js';
import { isUuidV7 } from './ids.js';

export interface CompactionCheckpoint {
  message: string;
  replacementHistory: unknown[] | null;
  windowNumber: number | null;
  windowId: string | null;
  firstWindowId: string | null;
  previousWindowId: string | null;
  /** True when the record carries no replacement history (message-only legacy compaction). */
  legacyMessageOnly: boolean;
}

export function readCompacted(payload: unknown): CompactionCheckpoint {
  const p = asRecord(payload) ?? {};
  const rawWindowId = p.window_id;
  let windowNumber = typeof p.window_number === 'number' ? p.window_number : null;
  if (windowNumber === null && typeof rawWindowId === 'number') windowNumber = rawWindowId;
  const replacement = Array.isArray(p.replacement_history) ? p.replacement_history : null;
  return {
    message: typeof p.message === 'string' ? p.message : '',
    replacementHistory: replacement,
    windowNumber,
    windowId: isUuidV7(rawWindowId) ? rawWindowId : null,
    firstWindowId: isUuidV7(p.first_window_id) ? p.first_window_id : null,
    previousWindowId: isUuidV7(p.previous_window_id) ? p.previous_window_id : null,
    legacyMessageOnly: replacement === null,
  };
}
