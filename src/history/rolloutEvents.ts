// Owns recognising the rollout lines that history replay reacts to, including Codex's renamed
// event variants (`task_started`/`turn_started`, `task_complete`/`turn_complete`): rollouts from
// every Codex generation must replay the same way whatever name the writer used.
import { asRecord, payloadTypeOf, turnIdOf, type RolloutLine } from '../model/rolloutLine.js';

const TURN_STARTED_TYPES: ReadonlySet<string> = new Set(['task_started', 'turn_started']);
const TURN_COMPLETE_TYPES: ReadonlySet<string> = new Set(['task_complete', 'turn_complete']);

/** The `event_msg` payload type, or undefined for other lines. */
export function eventType(line: RolloutLine): string | undefined {
  return line.type === 'event_msg' ? payloadTypeOf(line) : undefined;
}

export function isTurnStarted(line: RolloutLine): boolean {
  const t = eventType(line);
  return t !== undefined && TURN_STARTED_TYPES.has(t);
}

export function isTurnComplete(line: RolloutLine): boolean {
  const t = eventType(line);
  return t !== undefined && TURN_COMPLETE_TYPES.has(t);
}

export function isTurnAborted(line: RolloutLine): boolean {
  return eventType(line) === 'turn_aborted';
}

export function isUserMessageEvent(line: RolloutLine): boolean {
  return eventType(line) === 'user_message';
}

/** `thread_rolled_back{num_turns}` → the turn count (0 for a malformed count), else undefined. */
export function rolledBackTurns(line: RolloutLine): number | undefined {
  if (eventType(line) !== 'thread_rolled_back') return undefined;
  const n = asRecord(line.payload)?.num_turns;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** The turn id named by a line (task events, turn_context), when non-empty. */
export function lineTurnId(line: RolloutLine): string | undefined {
  return turnIdOf(line);
}
