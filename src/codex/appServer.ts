// Owns the app-server shapes Codex answers for a stored thread — `Thread` (thread/list, thread/read)
// and `Turn` (thread/read with turns) — built from what the store holds, field for field as Codex
// 0.169 / 0.171 answer them on the same CODEX_HOME (test/cli/sampleAgreesWithCodex.test.ts). The
// runtime-only fields (`status`, `environments`, `canAcceptDirectInput`) are not facts of a thread
// and are left out. What Codex does that one might not expect:
//  * thread/list answers `forkedFromId`, `parentThreadId` and `threadSource` null (its SQLite index
//    has no such columns); thread/read fills them from the rollout's session_meta;
//  * `sessionId` of a thread that is not loaded is the thread's own id (a sub-agent's session_meta
//    names its parent's session, but Codex answers the child's id until the thread is resumed);
//  * `source` is the app-server spelling: `{"subAgent": …}` for the rollout's `{"subagent": …}`,
//    `"appServer"` for `"mcp"`, `"unknown"` for anything else it does not know;
//  * timestamps are Unix seconds; items carry `startedAtMs` / `completedAtMs`.
import { asRecord, type StoredRolloutLine } from '../model/rolloutLine.js';
import type { SessionSource, StoredThread } from '../model/thread.js';
import { FileProjector, type FileProjection, type ProjectedTurnError, type ProjectedTurnStatus } from './history/projection.js';
import type { ThreadItemJson } from './history/threadItem.js';

export interface CodexGitInfo {
  sha: string | null;
  branch: string | null;
  originUrl: string | null;
}

/** App-server `ThreadSection`. */
export interface CodexThreadSection {
  id: string;
  name: string;
  appearance: unknown;
}

/** App-server `Turn` with its items (`itemsView: "full"`). */
export interface CodexTurn {
  id: string;
  rootTurnId: string | null;
  items: (ThreadItemJson & { startedAtMs: number | null; completedAtMs: number | null })[];
  itemsView: 'full';
  status: ProjectedTurnStatus;
  error: ProjectedTurnError | null;
  /** Unix seconds. */
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
}

/** App-server `Thread` without its runtime-only fields, in Codex's key order. */
export interface CodexThread {
  id: string;
  extra: null;
  sessionId: string;
  forkedFromId: string | null;
  attachedToThreadId: string | null;
  parentThreadId: string | null;
  preview: string;
  ephemeral: false;
  section: CodexThreadSection | null;
  /** Unix seconds. */
  sectionEnteredAt: number | null;
  projectId: string | null;
  historyMode: StoredThread['historyMode'];
  modelProvider: string;
  model: string | null;
  reasoningEffort: string | null;
  /** Unix seconds. */
  createdAt: number;
  updatedAt: number;
  recencyAt: number;
  /** Rollout path relative to the CODEX_HOME the thread was imported from (Codex: absolute); null for threads created in the store. */
  path: string | null;
  cwd: string;
  cliVersion: string;
  originator: string | null;
  source: unknown;
  threadSource: string | null;
  agentNickname: string | null;
  agentRole: string | null;
  gitInfo: CodexGitInfo | null;
  name: string | null;
  daybreakEnabled: boolean | null;
  turns: CodexTurn[];
}

/** `list`: what thread/list answers; `read`: what thread/read answers. */
export type CodexThreadView = 'list' | 'read';

const APP_SERVER_SOURCES: Record<string, string> = { cli: 'cli', vscode: 'vscode', exec: 'exec', mcp: 'appServer', appServer: 'appServer', unknown: 'unknown' };

/** Codex's app-server `SessionSource` for a stored (rollout-spelled) source. */
export function codexSessionSource(source: SessionSource): unknown {
  if (typeof source === 'string') return APP_SERVER_SOURCES[source] ?? 'unknown';
  const keys = Object.keys(source);
  if (keys.length === 1) {
    const key = keys[0]!;
    if (key === 'subagent' || key === 'subAgent') return { subAgent: source[key] };
    if (key === 'custom') return { custom: source[key] };
  }
  return 'unknown';
}

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** Codex columns an import keeps under `extra.codexState` (see import/facts.ts). */
function codexState(thread: StoredThread): Record<string, unknown> {
  return asRecord(thread.extra.codexState) ?? {};
}

function section(state: Record<string, unknown>): CodexThreadSection | null {
  const s = asRecord(state.section);
  if (!s || typeof s.id !== 'string' || typeof s.name !== 'string') return null;
  return { id: s.id, name: s.name, appearance: s.appearance ?? null };
}

const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The app-server Thread Codex answers for `thread` (`turns`: only with a thread/read view). */
export function toCodexThread(thread: StoredThread, view: CodexThreadView, turns: CodexTurn[] = []): CodexThread {
  const state = codexState(thread);
  const read = view === 'read';
  const enteredMs = typeof state.sectionEnteredAtMs === 'number' ? state.sectionEnteredAtMs : null;
  return {
    id: thread.threadId,
    extra: null,
    sessionId: thread.threadId,
    forkedFromId: read ? thread.forkedFromId : null,
    attachedToThreadId: strOrNull(state.attachedThreadParentId),
    parentThreadId: read ? thread.parentThreadId : null,
    preview: thread.preview,
    ephemeral: false,
    section: section(state),
    sectionEnteredAt: enteredMs === null ? null : Math.floor(enteredMs / 1000),
    projectId: strOrNull(state.projectId),
    historyMode: thread.historyMode,
    modelProvider: thread.modelProvider,
    model: thread.model,
    reasoningEffort: thread.reasoningEffort,
    createdAt: seconds(thread.createdAt),
    updatedAt: seconds(thread.updatedAt),
    recencyAt: seconds(thread.recencyAt),
    path: thread.rolloutPath,
    cwd: thread.cwd,
    cliVersion: thread.cliVersion,
    originator: thread.originator,
    source: codexSessionSource(thread.source),
    threadSource: read ? thread.threadSource : null,
    agentNickname: thread.agentNickname,
    agentRole: thread.agentRole,
    gitInfo: thread.gitInfo ? { sha: thread.gitInfo.sha, branch: thread.gitInfo.branch, originUrl: thread.gitInfo.originUrl } : null,
    name: thread.name,
    daybreakEnabled: typeof state.daybreakEnabled === 'boolean' ? state.daybreakEnabled : null,
    turns: read ? turns : [],
  };
}

/** The Turns thread/read answers from a projection (one segment, whole file). */
export function codexTurnsOf(projection: FileProjection): CodexTurn[] {
  const byTurn = new Map<string, CodexTurn['items']>();
  for (const item of projection.items) {
    const list = byTurn.get(item.turnId) ?? [];
    list.push({ ...item.item, startedAtMs: item.startedAtMs, completedAtMs: item.completedAtMs });
    byTurn.set(item.turnId, list);
  }
  return projection.turns.map((t) => ({
    id: t.turnId,
    rootTurnId: t.rootTurnId,
    items: byTurn.get(t.turnId) ?? [],
    itemsView: 'full',
    status: t.status,
    error: t.error,
    startedAt: t.startedAt,
    completedAt: t.completedAt,
    durationMs: t.durationMs,
  }));
}

/**
 * The Turns Codex answers for a thread whose whole history (fork base included, as
 * `ThreadStore.loadHistory` returns it) is `lines`. Codex reads a fork's inherited turns from its
 * base's projection up to the fork point and its own from its file; projecting the one history in
 * order gives the same turns for forks and reverts made at turn boundaries, as Codex makes them.
 */
export function codexTurns(threadId: string, lines: Iterable<StoredRolloutLine>): CodexTurn[] {
  const projector = new FileProjector(threadId);
  let position = 0;
  for (const line of lines) {
    // Positions, not the lines' own ordinals: a fork's history mixes its base's ordinals with its own.
    projector.push({ line: { type: line.type, payload: line.payload, timestamp: line.timestamp, ordinal: position }, startByte: 0, endByte: 0 });
    position += 1;
  }
  return codexTurnsOf(projector.finish());
}
