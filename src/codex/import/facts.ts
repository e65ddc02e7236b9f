// Owns the metadata facts an import takes from outside the rollout lines, and their precedence:
// rollout-derived values first, then Codex's `state_5.sqlite` row (git overrides, names, preview of
// forks, updated/recency times, metadata updates of paginated threads that never reach the rollout),
// then our own export sidecar (when it is not older than the files). `session_index.jsonl` gives the
// name when neither database has one.
import { createHash } from 'node:crypto';
import type { SqliteValue, StateSection, StateSpawnEdge, StateThreadRow } from '../stateDb.js';
import type { SessionIndexContents } from '../sessionIndex.js';
import type { TokenUsage } from '../../model/thread.js';

export interface FactsGit {
  sha: string | null;
  branch: string | null;
  originUrl: string | null;
}

/** Normalized facts about one thread; an absent key means "no opinion". */
export interface ThreadFacts {
  createdAtMs?: number;
  updatedAtMs?: number;
  recencyAtMs?: number;
  archivedAtMs?: number | null;
  name?: string | null;
  title?: string;
  preview?: string;
  firstUserMessage?: string | null;
  model?: string | null;
  reasoningEffort?: string | null;
  modelProvider?: string;
  cwd?: string;
  cliVersion?: string;
  approvalMode?: string;
  memoryMode?: string;
  threadSource?: string | null;
  agentNickname?: string | null;
  agentRole?: string | null;
  agentPath?: string | null;
  /** State DB: per field, a non-null value wins over the rollout. Sidecar: taken as is. */
  git?: Partial<FactsGit>;
  gitMode?: 'fill' | 'replace';
  tokensUsed?: number;
  tokenUsage?: TokenUsage | null;
  permissionProfile?: unknown;
  /** Codex columns we keep in `threads.extra` (e.g. `sandboxPolicy`). */
  extra?: Record<string, unknown>;
  spawnParent?: { parentThreadId: string; status: string } | null;
}

export interface ThreadFactSources {
  state: ThreadFacts | null;
  /** Base name of the state row's `rollout_path`: the file Codex currently appends to. */
  stateRolloutBaseName: string | null;
  sidecar: ThreadFacts | null;
  /** Name from session_index.jsonl (last entry wins; empty = no name) and that entry's updated_at. */
  indexName: { name: string | null; updatedAt: string } | null;
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Codex `distinct_thread_metadata_title`: a legacy title that differs from the first message is a rename. */
export function distinctTitle(title: string, firstUserMessage: string | null): string | null {
  const t = title.trim();
  if (t === '') return null;
  if (firstUserMessage !== null && firstUserMessage.trim() === t) return null;
  return title;
}

const STATE_EXTRA_COLUMNS: [keyof StateThreadRow, string][] = [
  ['sandboxPolicy', 'sandboxPolicy'],
  ['hasUserEvent', 'hasUserEvent'],
  ['isPinned', 'isPinned'],
];

/**
 * Codex columns with no column of ours, kept in `extra.codexState` so that export writes them back
 * and `list`/`show` answer them as Codex does (section, project, attachment, daybreak).
 */
const STATE_RAW_COLUMNS: [string, string, 'text' | 'int' | 'bool'][] = [
  ['thread_section_id', 'threadSectionId', 'text'],
  ['section_position', 'sectionPosition', 'int'],
  ['section_entered_at_ms', 'sectionEnteredAtMs', 'int'],
  ['project_id', 'projectId', 'text'],
  ['daybreak_enabled', 'daybreakEnabled', 'bool'],
  ['creator_user_id', 'creatorUserId', 'text'],
  ['creator_account_id', 'creatorAccountId', 'text'],
  ['attached_thread_parent_id', 'attachedThreadParentId', 'text'],
];

function rawColumn(value: SqliteValue | undefined, kind: 'text' | 'int' | 'bool'): unknown {
  if (value === null || value === undefined) return undefined;
  if (kind === 'text') return typeof value === 'string' ? value : undefined;
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  if (Number.isNaN(n)) return undefined;
  return kind === 'bool' ? n !== 0 : n;
}

/** Facts of one `threads` row of state_5.sqlite (and the section it is in, from `sections`). */
export function factsFromStateRow(row: StateThreadRow, edges: StateSpawnEdge[], sections: StateSection[] = []): ThreadFacts {
  const facts: ThreadFacts = {
    createdAtMs: row.createdAtMs,
    updatedAtMs: row.updatedAtMs,
    gitMode: 'fill',
    git: { sha: row.gitSha, branch: row.gitBranch, originUrl: row.gitOriginUrl },
    tokensUsed: row.tokensUsed,
  };
  if (row.recencyAtMs !== null) facts.recencyAtMs = row.recencyAtMs;
  if (row.archived) facts.archivedAtMs = row.archivedAtMs;
  const name = nonEmpty(row.name) ?? distinctTitle(row.title, row.firstUserMessage) ?? undefined;
  if (name !== undefined) facts.name = name;
  // A legacy title that is really a rename is not a derived title.
  if (nonEmpty(row.title) !== undefined && distinctTitle(row.title, row.firstUserMessage) === null) facts.title = row.title;
  const preview = nonEmpty(row.preview);
  if (preview !== undefined) facts.preview = row.preview!;
  const fum = nonEmpty(row.firstUserMessage);
  if (fum !== undefined) facts.firstUserMessage = fum;
  if (nonEmpty(row.model) !== undefined) facts.model = row.model;
  if (nonEmpty(row.reasoningEffort) !== undefined) facts.reasoningEffort = row.reasoningEffort;
  if (nonEmpty(row.modelProvider) !== undefined) facts.modelProvider = row.modelProvider;
  if (nonEmpty(row.cwd) !== undefined) facts.cwd = row.cwd;
  if (nonEmpty(row.cliVersion) !== undefined) facts.cliVersion = row.cliVersion!;
  if (nonEmpty(row.approvalMode) !== undefined) facts.approvalMode = row.approvalMode;
  if (row.memoryMode === 'enabled' || row.memoryMode === 'disabled') facts.memoryMode = row.memoryMode;
  const extra: Record<string, unknown> = {};
  for (const [key, name2] of STATE_EXTRA_COLUMNS) {
    const value = row[key];
    if (value !== null && value !== undefined && value !== '') extra[name2] = value;
  }
  // `polluted` is a DB-only memory mode (not a protocol value): kept, not mapped.
  if (row.memoryMode === 'polluted') extra.memoryMode = row.memoryMode;
  for (const [column, key, kind] of STATE_RAW_COLUMNS) {
    const value = rawColumn(row.columns[column], kind);
    if (value !== undefined) extra[key] = value;
  }
  const section = typeof extra.threadSectionId === 'string' ? sections.find((s) => s.id === extra.threadSectionId) : undefined;
  if (section) extra.section = { id: section.id, name: section.name, appearance: section.appearance ?? null };
  if (Object.keys(extra).length > 0) facts.extra = { codexState: extra };
  const edge = edges.find((e) => e.childThreadId === row.id);
  if (edge) facts.spawnParent = { parentThreadId: edge.parentThreadId, status: edge.status };
  return facts;
}

/** The name a thread gets from session_index.jsonl: the last entry per id wins, an empty one means no name. */
export function indexNameOf(index: SessionIndexContents | null, threadId: string): ThreadFactSources['indexName'] {
  const latest = index?.latest.get(threadId);
  if (!latest) return null;
  const trimmed = latest.thread_name.trim();
  return { name: trimmed === '' ? null : latest.thread_name, updatedAt: latest.updated_at };
}

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, stable((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Hash of the external facts: a thread whose files and facts are unchanged is skipped on re-import. */
export function hashFacts(sources: ThreadFactSources): string {
  return createHash('sha256').update(JSON.stringify(stable(sources))).digest('hex').slice(0, 32);
}
