// Owns Codex's fork snapshots (§9 `ForkSnapshot`): which prefix of a source thread's rollout lines a
// fork copies, and the interrupt boundary appended when forking a thread that is mid-turn. Pure
// functions over lines; writing the new thread (fresh id, own session_meta, forked_from_id) is the
// store's job.
import type { RolloutLine } from '../model/rolloutLine.js';
import { isRealUserMessage } from './contextualFragments.js';
import {
  eventType,
  isTurnAborted,
  isTurnComplete,
  isTurnStarted,
  lineTurnId,
  rolledBackTurns,
} from './rolloutEvents.js';

/** Codex `TurnAborted::INTERRUPTED_GUIDANCE`. */
export const TURN_ABORTED_INTERRUPTED_GUIDANCE =
  'The user interrupted the previous turn on purpose. Any running unified exec processes may still be running in the background. If any tools/commands were aborted, they may have partially executed.';

/** Text of the marker a real interrupt records (`interrupted_turn_history_marker`). */
export const TURN_ABORTED_MARKER_TEXT = `<turn_aborted>\n${TURN_ABORTED_INTERRUPTED_GUIDANCE}\n</turn_aborted>`;

/** The user-role response item Codex records when a turn is interrupted. */
export function interruptedTurnMarker(): {
  type: 'message';
  role: 'user';
  content: [{ type: 'input_text'; text: string }];
} {
  return { type: 'message', role: 'user', content: [{ type: 'input_text', text: TURN_ABORTED_MARKER_TEXT }] };
}

/**
 * Indices of the real user messages (`response_item` lines) that are still part of the thread:
 * every `thread_rolled_back{n}` removes the last n positions seen so far
 * (Codex `user_message_positions_in_rollout`).
 */
export function userMessagePositions(items: readonly RolloutLine[]): number[] {
  const positions: number[] = [];
  items.forEach((line, index) => {
    if (line.type === 'response_item' && isRealUserMessage(line.payload)) {
      positions.push(index);
      return;
    }
    const n = rolledBackTurns(line);
    if (n !== undefined) positions.length = Math.max(0, positions.length - n);
  });
  return positions;
}

export interface SnapshotTurnState {
  /** The source ends inside a turn that neither completed, aborted nor failed. */
  endsMidTurn: boolean;
  /** Id of that turn, when its start event named one. */
  activeTurnId: string | null;
  /** Index of that turn's start event, when the rollout has explicit turn events. */
  activeTurnStartIndex: number | null;
}

interface ExplicitTurn {
  id: string | null;
  start: number;
  /** Completed, aborted and failed turns are all "done": only an unfinished turn is mid-turn. */
  inProgress: boolean;
}

/** The turn opened by the last start event and not yet completed (Codex `explicit_rollout_turns`). */
function activeExplicitTurn(items: readonly RolloutLine[]): ExplicitTurn | null {
  let current: ExplicitTurn | null = null;
  const earlierIds = new Set<string>();
  items.forEach((line, index) => {
    if (isTurnStarted(line)) {
      if (current?.id) earlierIds.add(current.id);
      current = { id: lineTurnId(line) ?? null, start: index, inProgress: true };
    } else if (isTurnComplete(line)) {
      const id = lineTurnId(line);
      // A late completion of an older turn does not end the one in progress.
      if (current !== null && !(id !== undefined && id !== current.id && earlierIds.has(id))) {
        if (current.id) earlierIds.add(current.id);
        current = null;
      }
    } else if (isTurnAborted(line)) {
      const id = lineTurnId(line);
      if (current !== null && (id === undefined || current.id === null || current.id === id)) current.inProgress = false;
    } else if (eventType(line) === 'error') {
      // A failed turn is over for fork purposes even before its completion event arrives.
      if (current !== null) current.inProgress = false;
    } else if (rolledBackTurns(line) !== undefined) {
      if (current?.id) earlierIds.add(current.id);
      current = null;
    }
  });
  return current;
}

/**
 * Codex `snapshot_turn_state`: an explicit turn (start event with an id) that is still in progress,
 * or — for rollouts without such events — whether the last surviving user message has no
 * completion or abort after it.
 */
export function snapshotTurnState(items: readonly RolloutLine[]): SnapshotTurnState {
  const active = activeExplicitTurn(items);
  if (active !== null && active.id !== null) {
    return active.inProgress
      ? { endsMidTurn: true, activeTurnId: active.id, activeTurnStartIndex: active.start }
      : { endsMidTurn: false, activeTurnId: null, activeTurnStartIndex: null };
  }
  const positions = userMessagePositions(items);
  const last = positions[positions.length - 1];
  if (last === undefined) return { endsMidTurn: false, activeTurnId: null, activeTurnStartIndex: null };
  // Synthetic histories may hold user/assistant items without turn events: no terminating boundary
  // after the last user message means the turn never finished.
  const finished = items.slice(last + 1).some((line) => isTurnComplete(line) || isTurnAborted(line));
  return { endsMidTurn: !finished, activeTurnId: null, activeTurnStartIndex: null };
}

/**
 * `ForkSnapshot::TruncateBeforeNthUserMessage(n)`: the lines strictly before the 0-based n-th
 * surviving user message. Out of range: when the source is mid-turn, cut before the active turn's
 * start (or its user message) so the fork omits the unfinished turn; otherwise keep everything.
 */
export function truncateBeforeNthUserMessage(items: readonly RolloutLine[], n: number): RolloutLine[] {
  const positions = userMessagePositions(items);
  const nth = Number.isInteger(n) && n >= 0 ? positions[n] : undefined;
  if (nth !== undefined) return items.slice(0, nth);
  const state = snapshotTurnState(items);
  if (state.endsMidTurn) {
    const cut = state.activeTurnStartIndex ?? positions[positions.length - 1];
    if (cut !== undefined) return items.slice(0, cut);
  }
  return items.slice();
}

/**
 * `ForkSnapshot::Interrupted`: the whole history, plus — only when the source ends mid-turn — the
 * `<turn_aborted>` marker and a `turn_aborted{reason: interrupted}` event, the same boundary a real
 * interrupt writes, so the fork's model sees that the turn was cut short.
 */
export function interruptedSnapshot(items: readonly RolloutLine[]): RolloutLine[] {
  const state = snapshotTurnState(items);
  if (!state.endsMidTurn) return items.slice();
  return [
    ...items,
    { type: 'response_item', payload: interruptedTurnMarker() },
    { type: 'event_msg', payload: { type: 'turn_aborted', turn_id: state.activeTurnId, reason: 'interrupted' } },
  ];
}
