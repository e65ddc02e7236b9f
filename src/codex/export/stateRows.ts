// Owns what Codex's state_5.sqlite holds about one of our threads: the `threads` row (every column
// Codex fills, from the store's row and the Codex columns an import kept in `extra.codexState`), its
// spawn edge, its dynamic tools (from its session_meta) and its section.
import { asRecord } from '../../model/rolloutLine.js';
import type { ThreadRowRecord } from '../../store/postgres/threadRow.js';
import type { CodexDynamicTool, CodexSection, CodexThreadRow } from './codexSqlite.js';

const ms = (d: Date): number => d.getTime();
const secs = (d: Date): number => Math.floor(d.getTime() / 1000);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null);
const flag = (v: unknown): number => (v === true || v === 1 ? 1 : 0);

/** Codex columns an import keeps (import/facts.ts `codexState`). */
export function codexStateOf(extra: unknown): Record<string, unknown> {
  return asRecord(asRecord(extra)?.codexState) ?? {};
}

/** Codex's `threads` row for `row`, whose current rollout file is at `rolloutPath` (absolute). */
export function codexThreadRow(row: ThreadRowRecord, rolloutPath: string): CodexThreadRow {
  const state = codexStateOf(row.extra);
  const sandbox =
    str(state.sandboxPolicy) ?? (row.permission_profile !== null && row.permission_profile !== undefined ? JSON.stringify(row.permission_profile) : '{"type":"read-only"}');
  const booleanOrNull = (v: unknown): number | null => (typeof v === 'boolean' ? Number(v) : int(v));
  return {
    id: row.id,
    rollout_path: rolloutPath,
    created_at: secs(row.created_at),
    updated_at: secs(row.updated_at),
    source: row.source,
    model_provider: row.model_provider,
    cwd: row.cwd,
    title: row.title,
    sandbox_policy: sandbox,
    approval_mode: row.approval_mode,
    tokens_used: Number(row.tokens_used),
    has_user_event: flag(state.hasUserEvent),
    archived: row.archived_at === null ? 0 : 1,
    archived_at: row.archived_at === null ? null : secs(row.archived_at),
    git_sha: row.git_sha,
    git_branch: row.git_branch,
    git_origin_url: row.git_origin_url,
    cli_version: row.cli_version,
    first_user_message: row.first_user_message ?? '',
    agent_nickname: row.agent_nickname,
    agent_role: row.agent_role,
    // `polluted` is a value only Codex's database has; the store keeps it aside.
    memory_mode: str(state.memoryMode) ?? row.memory_mode,
    model: row.model,
    reasoning_effort: row.reasoning_effort,
    agent_path: row.agent_path,
    created_at_ms: ms(row.created_at),
    updated_at_ms: ms(row.updated_at),
    thread_source: row.thread_source,
    preview: row.preview,
    recency_at: secs(row.recency_at),
    recency_at_ms: ms(row.recency_at),
    history_mode: row.history_mode,
    name: row.name,
    is_pinned: flag(state.isPinned),
    thread_section_id: str(state.threadSectionId),
    section_position: int(state.sectionPosition),
    section_entered_at_ms: int(state.sectionEnteredAtMs),
    project_id: str(state.projectId),
    originator: row.originator,
    daybreak_enabled: booleanOrNull(state.daybreakEnabled),
    creator_user_id: str(state.creatorUserId),
    creator_account_id: str(state.creatorAccountId),
    attached_thread_parent_id: str(state.attachedThreadParentId),
  };
}

/** The section a thread is in (kept by the import with the thread), if any. */
export function codexSectionOf(row: ThreadRowRecord): CodexSection | null {
  const section = asRecord(codexStateOf(row.extra).section);
  if (!section || typeof section.id !== 'string' || typeof section.name !== 'string') return null;
  const appearance = section.appearance;
  return { id: section.id, name: section.name, appearance: appearance === null || appearance === undefined ? null : JSON.stringify(appearance) };
}

/** `thread_dynamic_tools` rows of a thread: the tools of its session_meta, in order. */
export function codexDynamicTools(sessionMetaPayload: unknown): CodexDynamicTool[] {
  const tools = asRecord(sessionMetaPayload)?.dynamic_tools;
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((tool, position) => {
    const t = asRecord(tool);
    if (!t || typeof t.name !== 'string') return [];
    const schema = t.input_schema ?? t.inputSchema ?? {};
    return [
      {
        position,
        name: t.name,
        description: typeof t.description === 'string' ? t.description : '',
        inputSchema: JSON.stringify(schema),
        deferLoading: t.defer_loading === true || t.deferLoading === true,
        namespace: str(t.namespace),
      },
    ];
  });
}
