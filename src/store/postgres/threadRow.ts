// Owns the mapping between a `thread_store.threads` row (as pg returns it, typed by the drizzle
// schema) and StoredThread.
import { sessionSourceFromText } from '../../model/thread.js';
import type { HistoryMode, MemoryMode, StoredThread, TokenUsage } from '../../model/thread.js';
import { fromPgRow, type ThreadInsert, type ThreadRowRecord } from '../../db/schema/columns.js';
import { threads } from '../../db/schema/threads.js';

/** A threads row as `SELECT *` returns it: typed by the drizzle schema (src/db/schema). */
export type { ThreadRowRecord } from '../../db/schema/columns.js';

// How a session source is kept in the `source` column is a model rule (model/thread.ts).
export { sessionSourceFromText as sourceFromColumn, sessionSourceToText as sourceToColumn } from '../../model/thread.js';

export function rowToThread(row: ThreadRowRecord): StoredThread {
  const git =
    row.git_sha === null && row.git_branch === null && row.git_origin_url === null
      ? null
      : { sha: row.git_sha, branch: row.git_branch, originUrl: row.git_origin_url };
  return {
    threadId: row.id,
    sessionId: row.session_id,
    forkedFromId: row.forked_from_id,
    parentThreadId: row.parent_thread_id,
    rolloutPath: row.rollout_path,
    preview: row.preview,
    name: row.name,
    title: row.title,
    firstUserMessage: row.first_user_message,
    modelProvider: row.model_provider,
    model: row.model,
    reasoningEffort: row.reasoning_effort,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    recencyAt: row.recency_at.toISOString(),
    archivedAt: row.archived_at ? row.archived_at.toISOString() : null,
    cwd: row.cwd,
    cliVersion: row.cli_version,
    originator: row.originator,
    source: sessionSourceFromText(row.source),
    threadSource: row.thread_source,
    historyMode: row.history_mode as HistoryMode,
    memoryMode: row.memory_mode as MemoryMode,
    agentNickname: row.agent_nickname,
    agentRole: row.agent_role,
    agentPath: row.agent_path,
    gitInfo: git,
    approvalMode: row.approval_mode,
    permissionProfile: row.permission_profile ?? null,
    tokenUsage: (row.token_usage as TokenUsage | null) ?? null,
    tokensUsed: Number(row.tokens_used),
    extra: (row.extra as Record<string, unknown> | null) ?? {},
    itemCount: Number(row.item_count),
    byteSize: Number(row.byte_size),
  };
}

/** The row as an insert of the same thread (every column, keyed by property). */
export function threadInsertOf(row: ThreadRowRecord): ThreadInsert {
  return fromPgRow(threads, row);
}
