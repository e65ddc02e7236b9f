// Owns Codex's turn/item projection of ONE rollout file: the rows Codex keeps in
// thread_history_1.sqlite (`thread_turns`, `thread_items`, `thread_history_projection_state`) and
// answers `thread/read` from. Codex builds them with its ThreadHistoryBuilder while it writes a
// paginated thread; we build the same rows from the lines, so an export carries the projection and
// `show --json` answers what `thread/read` answers.
//
// Rules (observed on the Codex 0.169 and 0.171 samples, row for row; Codex's
// `thread-store/src/local/thread_history.rs` for the SQL they come from):
//  * every line has an ordinal (its `ordinal` field; else the next one) and a byte span in the file;
//  * `task_started` opens a turn: its row takes that line's ordinal, start byte and `started_at`;
//    `task_complete` ends it completed (failed when it carries an `error`), `turn_aborted` ends it
//    interrupted; the end line gives `rollout_end_ordinal` / `rollout_end_byte_offset`,
//    `completed_at`, `duration_ms`. A turn that has ended is never changed again;
//  * every `item_completed` event is one item (threadItem.ts) of its `turn_id`, created at its
//    `started_at_ms` (else the line's timestamp), with the line's ordinal;
//  * `first_user_item_id` is the turn's first userMessage; `final_agent_item_id` its last
//    agentMessage with phase `final_answer`, else (once ended) its last agentMessage without phase;
//  * `thread_rolled_back` drops the last `num_turns` turns; lines before a sub-agent's
//    `subagent_history_start_ordinal` (its copied parent history) project nothing.
import { asRecord } from '../../model/rolloutLine.js';
import { camelCase, threadItemFromCore, type ThreadItemJson } from './threadItem.js';

export type ProjectedTurnStatus = 'inProgress' | 'completed' | 'interrupted' | 'failed';

/** App-server `TurnError` (Codex stores it as `error_json`). */
export interface ProjectedTurnError {
  message: string;
  codexErrorInfo: unknown;
  additionalDetails: unknown;
  misalignment: unknown;
}

/** One `thread_turns` row. */
export interface ProjectedTurn {
  turnId: string;
  rootTurnId: string | null;
  rolloutOrdinal: number;
  rolloutByteOffset: number;
  rolloutEndOrdinal: number | null;
  rolloutEndByteOffset: number | null;
  status: ProjectedTurnStatus;
  error: ProjectedTurnError | null;
  /** Unix seconds. */
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
  firstUserItemId: string | null;
  finalAgentItemId: string | null;
}

/** One `thread_items` row. */
export interface ProjectedItem {
  turnId: string;
  itemId: string;
  rolloutOrdinal: number;
  updatedAtOrdinal: number;
  createdAtMs: number;
  startedAtMs: number | null;
  completedAtMs: number | null;
  item: ThreadItemJson;
}

/** The projection of one file (`fileId`: its thread id, or its segment id for a revert segment). */
export interface FileProjection {
  fileId: string;
  turns: ProjectedTurn[];
  items: ProjectedItem[];
  /** `thread_history_projection_state`: where the next line would start. */
  nextOrdinal: number;
  nextByteOffset: number;
}

/** A line as the projection needs it: the parsed line and its byte span (end includes the `\n`). */
export interface ProjectionInput {
  line: { type: string; payload: unknown; timestamp?: unknown; ordinal?: unknown };
  startByte: number;
  endByte: number;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function timestampMs(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Core `CodexErrorInfo` (`"internal_server_error"`, `{"http_connection_failed":{…}}`) → app-server spelling. */
function codexErrorInfo(value: unknown): unknown {
  if (typeof value === 'string') return camelCase(value);
  const record = asRecord(value);
  if (!record) return value ?? null;
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [camelCase(k), asRecord(v) ? Object.fromEntries(Object.entries(asRecord(v)!).map(([a, b]) => [camelCase(a), b])) : v]));
}

function turnError(error: unknown): ProjectedTurnError | null {
  const e = asRecord(error);
  if (!e) return null;
  return {
    message: typeof e.message === 'string' ? e.message : String(e.message ?? ''),
    codexErrorInfo: e.codex_error_info === undefined ? null : codexErrorInfo(e.codex_error_info),
    additionalDetails: e.additional_details ?? null,
    misalignment: e.misalignment ?? null,
  };
}

const TURN_START = new Set(['task_started', 'turn_started']);
const TURN_COMPLETE = new Set(['task_complete', 'turn_complete']);

/** Builds one file's projection from its lines, in file order. */
export class FileProjector {
  private readonly turns = new Map<string, ProjectedTurn>();
  private readonly order: string[] = [];
  private readonly items = new Map<string, ProjectedItem>();
  /** Each turn's items in file order (the summary ids are found without scanning every item). */
  private readonly turnItems = new Map<string, ProjectedItem[]>();
  private currentTurn: string | null = null;
  private nextOrdinal: number;
  private nextByteOffset = 0;
  private subagentStart: number | null = null;
  private first = true;

  constructor(
    readonly fileId: string,
    /** The ordinal of the file's first line (a fork or segment continues its base's ordinals). */
    initialOrdinal = 0,
  ) {
    this.nextOrdinal = initialOrdinal;
  }

  push(input: ProjectionInput): void {
    const { line } = input;
    const own = num(line.ordinal);
    const ordinal = own !== null && Number.isSafeInteger(own) && own >= 0 ? own : this.nextOrdinal;
    this.nextOrdinal = ordinal + 1;
    this.nextByteOffset = input.endByte;
    const payload = asRecord(line.payload) ?? {};
    if (this.first) {
      this.first = false;
      if (line.type === 'session_meta') this.subagentStart = num(payload.subagent_history_start_ordinal);
    }
    if (this.subagentStart !== null && ordinal < this.subagentStart) return;
    if (line.type !== 'event_msg') return;
    const sub = payload.type;
    if (typeof sub !== 'string') return;
    if (TURN_START.has(sub)) this.startTurn(payload, ordinal, input);
    else if (TURN_COMPLETE.has(sub) || sub === 'turn_aborted') this.endTurn(sub, payload, ordinal, input);
    else if (sub === 'item_completed') this.addItem(payload, ordinal, input, line.timestamp);
    else if (sub === 'error') this.failTurn(payload);
    else if (sub === 'thread_rolled_back') this.rollBack(num(payload.num_turns) ?? 0);
  }

  private startTurn(payload: Record<string, unknown>, ordinal: number, input: ProjectionInput): void {
    const attribution = asRecord(payload.turn_attribution);
    const turnId = str(payload.turn_id) ?? str(attribution?.turn_id);
    if (turnId === null) return;
    this.currentTurn = turnId;
    const existing = this.turns.get(turnId);
    if (existing && existing.status !== 'inProgress') return;
    const turn = existing ?? this.openTurn(turnId, ordinal, input.startByte);
    turn.rootTurnId = str(payload.root_turn_id) ?? str(attribution?.root_turn_id) ?? turn.rootTurnId;
    turn.startedAt = num(payload.started_at) ?? turn.startedAt;
    this.refreshSummary(turn);
  }

  private openTurn(turnId: string, ordinal: number, startByte: number): ProjectedTurn {
    const turn: ProjectedTurn = {
      turnId,
      rootTurnId: null,
      rolloutOrdinal: ordinal,
      rolloutByteOffset: startByte,
      rolloutEndOrdinal: null,
      rolloutEndByteOffset: null,
      status: 'inProgress',
      error: null,
      startedAt: null,
      completedAt: null,
      durationMs: null,
      firstUserItemId: null,
      finalAgentItemId: null,
    };
    this.turns.set(turnId, turn);
    this.order.push(turnId);
    return turn;
  }

  private endTurn(sub: string, payload: Record<string, unknown>, ordinal: number, input: ProjectionInput): void {
    const turnId = str(payload.turn_id) ?? this.currentTurn;
    if (turnId === null) return;
    const turn = this.turns.get(turnId) ?? this.openTurn(turnId, ordinal, input.startByte);
    if (turnId === this.currentTurn) this.currentTurn = null;
    if (turn.status !== 'inProgress') return;
    if (sub === 'turn_aborted') {
      turn.status = 'interrupted';
    } else {
      const error = turnError(payload.error) ?? turn.error;
      turn.status = error ? 'failed' : 'completed';
      turn.error = error;
    }
    turn.startedAt = num(payload.started_at) ?? turn.startedAt;
    turn.completedAt = num(payload.completed_at);
    turn.durationMs = num(payload.duration_ms);
    turn.rolloutEndOrdinal = ordinal;
    turn.rolloutEndByteOffset = input.endByte;
    this.refreshSummary(turn);
  }

  /** An `error` event fails the turn it happens in (older Codex wrote it before a plain task_complete). */
  private failTurn(payload: Record<string, unknown>): void {
    const turn = this.currentTurn === null ? undefined : this.turns.get(this.currentTurn);
    if (turn?.status !== 'inProgress') return;
    turn.error = turnError(payload);
  }

  private addItem(payload: Record<string, unknown>, ordinal: number, input: ProjectionInput, timestamp: unknown): void {
    const item = threadItemFromCore(payload.item);
    const turnId = str(payload.turn_id) ?? this.currentTurn;
    if (!item || turnId === null) return;
    const turn = this.turns.get(turnId) ?? this.openTurn(turnId, ordinal, input.startByte);
    const startedAtMs = num(payload.started_at_ms);
    const completedAtMs = num(payload.completed_at_ms);
    const key = `${turnId}\u0000${item.id}`;
    const existing = this.items.get(key);
    if (existing) {
      // Codex keeps a duplicate's first ordinal and creation time and updates its snapshot.
      existing.item = item;
      existing.updatedAtOrdinal = ordinal;
      existing.completedAtMs = completedAtMs;
    } else {
      const createdAtMs = startedAtMs ?? timestampMs(timestamp) ?? 0;
      const row: ProjectedItem = { turnId, itemId: item.id, rolloutOrdinal: ordinal, updatedAtOrdinal: ordinal, createdAtMs, startedAtMs, completedAtMs, item };
      this.items.set(key, row);
      const list = this.turnItems.get(turnId) ?? [];
      list.push(row);
      this.turnItems.set(turnId, list);
    }
    if (turn.status === 'inProgress') this.refreshSummary(turn);
  }

  private rollBack(numTurns: number): void {
    for (let i = 0; i < numTurns && this.order.length > 0; i++) {
      const turnId = this.order.pop()!;
      this.turns.delete(turnId);
      for (const item of this.turnItems.get(turnId) ?? []) this.items.delete(`${turnId}\u0000${item.itemId}`);
      this.turnItems.delete(turnId);
      if (this.currentTurn === turnId) this.currentTurn = null;
    }
  }

  /** Codex's `first_user_item_id` / `final_agent_item_id` update (a turn change or, in progress, a new item). */
  private refreshSummary(turn: ProjectedTurn): void {
    const items = this.turnItems.get(turn.turnId) ?? [];
    turn.firstUserItemId ??= items.find((i) => i.item.type === 'userMessage')?.itemId ?? null;
    const ended = turn.status !== 'inProgress';
    let finalAnswer: string | null = null;
    let plain: string | null = null;
    for (let i = items.length - 1; i >= 0 && finalAnswer === null; i--) {
      const item = items[i]!.item;
      if (item.type !== 'agentMessage') continue;
      if (item.phase === 'final_answer') finalAnswer = item.id;
      else if (ended && plain === null && (item.phase === null || item.phase === undefined)) plain = item.id;
    }
    turn.finalAgentItemId = finalAnswer ?? plain ?? turn.finalAgentItemId;
  }

  finish(): FileProjection {
    const turns = this.order.map((id) => this.turns.get(id)!).sort((a, b) => a.rolloutOrdinal - b.rolloutOrdinal);
    const items = [...this.items.values()].sort((a, b) => a.rolloutOrdinal - b.rolloutOrdinal);
    return { fileId: this.fileId, turns, items, nextOrdinal: this.nextOrdinal, nextByteOffset: this.nextByteOffset };
  }
}

/** The projection of a whole file's lines. */
export function projectFile(fileId: string, lines: Iterable<ProjectionInput>, initialOrdinal = 0): FileProjection {
  const projector = new FileProjector(fileId, initialOrdinal);
  for (const line of lines) projector.push(line);
  return projector.finish();
}
