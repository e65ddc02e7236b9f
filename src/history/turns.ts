// Owns the turn projection both stores share: which turn a line belongs to, and a turn's status
// from its events (task_complete → completed, or failed when it carries an error; turn_aborted →
// interrupted; no terminal event yet → inProgress), as the real Codex 0.169 sample shows.
import { asRecord, payloadTypeOf, type StoredRolloutLine } from '../model/rolloutLine.js';
import type { StoredTurn, TurnItemsView } from '../model/params.js';

const TURN_START = new Set(['task_started', 'turn_started']);
const TURN_END = new Set(['task_complete', 'turn_complete', 'turn_aborted']);

/** A line that ends its turn (task_complete / turn_complete / turn_aborted). */
export function isTurnEndLine(line: { type: string; payload: unknown }): boolean {
  const sub = payloadTypeOf(line as StoredRolloutLine);
  return line.type === 'event_msg' && sub !== undefined && TURN_END.has(sub);
}

/** Tracks the open turn while lines are appended in order, assigning each line its turn id. */
export class TurnTracker {
  constructor(public openTurnId: string | null = null) {}

  /** The turn id to store with `line`; updates the open turn for the lines after it. */
  assign(line: StoredRolloutLine): string | null {
    const explicit = explicitTurnId(line);
    if (line.type === 'event_msg') {
      const sub = payloadTypeOf(line);
      if (sub && TURN_START.has(sub)) {
        this.openTurnId = explicit ?? this.openTurnId;
        return this.openTurnId;
      }
      if (sub && TURN_END.has(sub)) {
        const id = explicit ?? this.openTurnId;
        if (id === this.openTurnId) this.openTurnId = null;
        return id;
      }
    }
    if (line.type === 'session_meta') return null;
    return explicit ?? this.openTurnId;
  }
}

function explicitTurnId(line: StoredRolloutLine): string | null {
  const payload = asRecord(line.payload);
  const id = payload?.turn_id;
  return typeof id === 'string' && id !== '' ? id : null;
}

export interface TurnLine {
  seq: number;
  turnId: string | null;
  line: StoredRolloutLine;
}

/** Build turns (in order of first appearance) from a thread's lines that carry turn ids. */
export function projectTurns(lines: TurnLine[], itemsView: TurnItemsView): StoredTurn[] {
  const turns = new Map<string, { turn: StoredTurn; all: StoredRolloutLine[] }>();
  for (const { turnId, line } of lines) {
    if (turnId === null) continue;
    let entry = turns.get(turnId);
    if (!entry) {
      entry = {
        turn: {
          turnId,
          status: 'inProgress',
          error: null,
          startedAt: null,
          completedAt: null,
          durationMs: null,
          turnCreatedAtMs: parseMs(line.timestamp),
          itemsView,
          items: [],
        },
        all: [],
      };
      turns.set(turnId, entry);
    }
    entry.all.push(line);
    applyEvent(entry.turn, line);
  }
  return [...turns.values()].map(({ turn, all }) => ({ ...turn, items: selectItems(all, itemsView) }));
}

function applyEvent(turn: StoredTurn, line: StoredRolloutLine): void {
  if (line.type !== 'event_msg') return;
  const payload = asRecord(line.payload) ?? {};
  const sub = payload.type;
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  if (sub === 'task_started' || sub === 'turn_started') {
    turn.startedAt = num(payload.started_at) ?? turn.startedAt;
    turn.status = 'inProgress';
  } else if (sub === 'task_complete' || sub === 'turn_complete') {
    const error = asRecord(payload.error);
    turn.status = error ? 'failed' : 'completed';
    turn.error = error
      ? { message: String(error.message ?? ''), codexErrorInfo: error.codex_error_info ?? null, additionalDetails: error.additional_details ?? null }
      : null;
    turn.startedAt = num(payload.started_at) ?? turn.startedAt;
    turn.completedAt = num(payload.completed_at);
    turn.durationMs = num(payload.duration_ms);
  } else if (sub === 'turn_aborted') {
    turn.status = 'interrupted';
    turn.startedAt = num(payload.started_at) ?? turn.startedAt;
    turn.completedAt = num(payload.completed_at);
    turn.durationMs = num(payload.duration_ms);
  }
}

function selectItems(all: StoredRolloutLine[], view: TurnItemsView): StoredRolloutLine[] {
  if (view === 'notLoaded') return [];
  if (view === 'full') return all;
  // Summary: the user's messages and the last agent message, as response items.
  const messages = all.filter((l) => l.type === 'response_item' && payloadTypeOf(l) === 'message');
  const users = messages.filter((l) => asRecord(l.payload)?.role === 'user');
  const agents = messages.filter((l) => asRecord(l.payload)?.role === 'assistant');
  const last = agents[agents.length - 1];
  return last ? [...users, last] : users;
}

function parseMs(ts: string): number | null {
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? null : ms;
}
