// Owns what Codex's state_5.sqlite holds about one of our threads: the `threads` row (every column
// Codex fills, from the store's row and the Codex columns an import kept in `extra.codexState`), its
// spawn edge, its dynamic tools (from its session_meta) and its section.
import { asRecord } from '../../model/rolloutLine.js';
import { sessionSourceToText } from '../../model/thread.js';
import type { TransferThread } from '../../store/transfer.js';
import type { CodexDynamicTool, CodexSection, CodexThreadRow } from './codexSqlite.js';

const ms = (iso: string): number => Date.parse(iso);
const secs = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null);
const flag = (v: unknown): number => (v === true || v === 1 ? 1 : 0);

/** Codex columns an import keeps (import/facts.ts `codexState`). */
export function codexStateOf(extra: unknown): Record<string, unknown> {
  return asRecord(asRecord(extra)?.codexState) ?? {};
}

/** Codex's `threads` row for `row`, whose current rollout file is at `rolloutPath` (absolute). */
export function codexThreadRow(row: TransferThread, rolloutPath: string): CodexThreadRow {
  const state = codexStateOf(row.extra);
  const sandbox =
    str(state.sandboxPolicy) ?? (row.permissionProfile !== null && row.permissionProfile !== undefined ? JSON.stringify(row.permissionProfile) : '{"type":"read-only"}');
  const booleanOrNull = (v: unknown): number | null => (typeof v === 'boolean' ? Number(v) : int(v));
  return {
    id: row.threadId,
    rollout_path: rolloutPath,
    created_at: secs(row.createdAt),
    updated_at: secs(row.updatedAt),
    source: sessionSourceToText(row.source),
    model_provider: row.modelProvider,
    cwd: row.cwd,
    title: row.title,
    sandbox_policy: sandbox,
    approval_mode: row.approvalMode,
    tokens_used: row.tokensUsed,
    has_user_event: flag(state.hasUserEvent),
    archived: row.archivedAt === null ? 0 : 1,
    archived_at: row.archivedAt === null ? null : secs(row.archivedAt),
    git_sha: row.gitInfo?.sha ?? null,
    git_branch: row.gitInfo?.branch ?? null,
    git_origin_url: row.gitInfo?.originUrl ?? null,
    cli_version: row.cliVersion,
    first_user_message: row.firstUserMessage ?? '',
    agent_nickname: row.agentNickname,
    agent_role: row.agentRole,
    // `polluted` is a value only Codex's database has; the store keeps it aside.
    memory_mode: str(state.memoryMode) ?? row.memoryMode,
    model: row.model,
    reasoning_effort: row.reasoningEffort,
    agent_path: row.agentPath,
    created_at_ms: ms(row.createdAt),
    updated_at_ms: ms(row.updatedAt),
    thread_source: row.threadSource,
    preview: row.preview,
    recency_at: secs(row.recencyAt),
    recency_at_ms: ms(row.recencyAt),
    history_mode: row.historyMode,
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
export function codexSectionOf(row: TransferThread): CodexSection | null {
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
