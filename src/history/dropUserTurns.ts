// Owns Codex's in-history rollback (`ContextManager::drop_last_n_user_turns`, §8.5): how a
// `thread_rolled_back{n}` shortens an already materialized model-visible history. Rollback never
// rewrites stored lines; this is applied during replay only.
import { isContextualDeveloperMessage, isContextualUserMessage, isUserTurnBoundary } from './contextualFragments.js';

export interface DropUserTurnsOptions {
  /**
   * Newer Codex also removes the contiguous contextual developer/user messages (permissions,
   * environment context, ...) that were injected just before the cut turn, so they are not left
   * dangling. The lineage-era algorithm (#29256) does not; default false keeps that behaviour.
   */
  trimPreTurnContextUpdates?: boolean;
}

/** Indices of the items that open a user turn (real user messages and inter-agent boundaries). */
export function userTurnPositions(history: readonly unknown[]): number[] {
  const positions: number[] = [];
  history.forEach((item, i) => {
    if (isUserTurnBoundary(item)) positions.push(i);
  });
  return positions;
}

/**
 * Drop the newest `n` user turns: `n == 0` or no user turn → unchanged copy; `n >= count` → keep
 * only what precedes the first user turn (the session prefix); otherwise cut at the n-th user turn
 * from the end. Returns a new array; items are not copied.
 */
export function dropLastNUserTurns(
  history: readonly unknown[],
  n: number,
  options: DropUserTurnsOptions = {},
): unknown[] {
  // Codex takes a u32; a fractional count from JSON rounds down like an integer cast would.
  const count = Math.floor(n);
  if (!(count > 0)) return history.slice();
  const positions = userTurnPositions(history);
  const first = positions[0];
  if (first === undefined) return history.slice();
  let cut = count >= positions.length ? first : positions[positions.length - count]!;
  if (options.trimPreTurnContextUpdates) {
    while (cut > first) {
      const previous = history[cut - 1];
      if (!isContextualDeveloperMessage(previous) && !isContextualUserMessage(previous)) break;
      cut -= 1;
    }
  }
  return history.slice(0, cut);
}
