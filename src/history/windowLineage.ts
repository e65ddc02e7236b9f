// Owns context-window lineage: the position and UUIDv7 identity of the thread's current context
// window (Codex `AutoCompactWindowIds` + window number, §8.2) and how it is restored from a
// reconstruction (§8.5 "Restoring window state"). Values are immutable records; every transition
// returns a new one so a caller can persist the exact lineage it handed to the model.
import { InvalidRequestError } from '../model/errors.js';
import { isUuidV7, newUuidV7 } from '../model/ids.js';

export interface WindowLineage {
  /** Position of the window in the thread: the initial window is 0, the first compaction opens 1. */
  windowNumber: number;
  /** Id of the thread's very first window; never changes. */
  firstWindowId: string;
  /** Id of the window that the last compaction closed; null for the initial window. */
  previousWindowId: string | null;
  /** Id of the window the thread is in now. */
  windowId: string;
}

/** What a reconstruction knows about the window; ids are null when the rollout did not say (legacy). */
export interface ReconstructedWindow {
  windowNumber: number;
  firstWindowId: string | null;
  previousWindowId: string | null;
  windowId: string | null;
}

function requireV7(value: string, what: string): string {
  // Codex parses window ids as UUIDs and keeps only version 7; minting lineage from anything else
  // would write ids that a later reconstruction silently discards.
  if (!isUuidV7(value)) throw new InvalidRequestError('expected a UUIDv7', { path: what });
  return value;
}

/** The window a new thread starts in (Codex `AutoCompactWindowIds::new_initial`). */
export function initialLineage(windowId?: string): WindowLineage {
  const id = windowId === undefined ? newUuidV7() : requireV7(windowId, 'windowId');
  return { windowNumber: 0, firstWindowId: id, previousWindowId: null, windowId: id };
}

/** The window a compaction opens (Codex `AutoCompactWindow::advance`). */
export function advanceLineage(lineage: WindowLineage): WindowLineage {
  return {
    // Codex saturates at u64::MAX; a JS number stays exact up to 2^53, far beyond real threads.
    windowNumber: Math.min(lineage.windowNumber + 1, Number.MAX_SAFE_INTEGER),
    firstWindowId: lineage.firstWindowId,
    previousWindowId: lineage.windowId,
    windowId: newUuidV7(),
  };
}

/**
 * Turn a reconstruction's window into the lineage a resumed session continues with
 * (`rollout_reconstruction_window_ids`): the current id is the reconstructed one, or
 * `fallbackCurrentId` (the session's freshly minted window, or `session_meta.context_window`'s
 * initial id), or a fresh UUIDv7; the first id falls back to the current one; previous stays as
 * reconstructed (possibly null); the number is the reconstructed number.
 *
 * The session-meta initial window applies only when no usable compaction exists and no surviving
 * compaction is legacy; `reconstructHistory` already folds that rule into the window it returns
 * (number 0, first = current = the session-meta id), so callers pass the reconstruction through.
 */
export function restoreLineage(reconstructed: ReconstructedWindow, fallbackCurrentId?: string): WindowLineage {
  const windowId =
    reconstructed.windowId ??
    (fallbackCurrentId === undefined ? newUuidV7() : requireV7(fallbackCurrentId, 'fallbackCurrentId'));
  return {
    windowNumber: reconstructed.windowNumber,
    firstWindowId: reconstructed.firstWindowId ?? windowId,
    previousWindowId: reconstructed.previousWindowId,
    windowId,
  };
}

/** The lineage fields a `compacted` payload records for the window it opens (§8.3). */
export function compactedLineageFields(lineage: WindowLineage): {
  window_number: number;
  first_window_id: string;
  previous_window_id?: string;
  window_id: string;
} {
  return {
    window_number: lineage.windowNumber,
    first_window_id: lineage.firstWindowId,
    // Codex skips a None previous id on serialization rather than writing null.
    ...(lineage.previousWindowId === null ? {} : { previous_window_id: lineage.previousWindowId }),
    window_id: lineage.windowId,
  };
}
