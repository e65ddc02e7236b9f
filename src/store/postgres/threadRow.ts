// Owns the mapping between a `thread_store.threads` row (as pg returns it) and StoredThread.
import { sessionSourceFromText } from '../../model/thread.js';
import type { HistoryMode, MemoryMode, StoredThread, TokenUsage } from '../../model/thread.js';

export interface ThreadRowRecord {
  tenant_id: string;
  id: string;
  session_id: string | null;
  forked_from_id: string | null;
  parent_thread_id: string | null;
  source: string;
  thread_source: string | null;
  originator: string | null;
  model_provider: string;
  model: string | null;
  reasoning_effort: string | null;
  cwd: string;
  cli_version: string;
  name: string | null;
  title: string;
  preview: string;
  first_user_message: string | null;
  agent_nickname: string | null;
  agent_role: string | null;
  agent_path: string | null;
  approval_mode: string;
  memory_mode: string;
  history_mode: string;
  git_sha: string | null;
  git_branch: string | null;
  git_origin_url: string | null;
  tokens_used: number;
  token_usage: unknown;
  permission_profile: unknown;
  extra: unknown;
  rollout_path: string | null;
  created_at: Date;
  updated_at: Date;
  recency_at: Date;
  archived_at: Date | null;
  history_base_thread_id: string | null;
  history_base_seq: number | null;
  last_seq: number;
  item_count: number;
  byte_size: number;
  resume_checkpoint_seq: number | null;
  resume_seq: number;
  compactions_before_resume: number;
  writer_epoch: number | null;
  search_seq: number | null;
}

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
