// Owns the session_meta line a store writes first when it materializes a thread created through
// createThread (Codex's RolloutRecorder builds the same from CreateThreadParams).
import type { CreateThreadParams } from '../../model/params.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';

export function buildSessionMetaLine(params: CreateThreadParams, createdAt: string, historyMode: string): StoredRolloutLine {
  const payload: Record<string, unknown> = {
    session_id: params.sessionId ?? params.threadId,
    id: params.threadId,
  };
  if (params.forkedFromId) payload.forked_from_id = params.forkedFromId;
  if (params.parentThreadId) payload.parent_thread_id = params.parentThreadId;
  payload.timestamp = createdAt;
  payload.cwd = params.metadata.cwd ?? '';
  payload.originator = params.originator;
  payload.cli_version = params.cliVersion ?? '';
  payload.source = params.source;
  if (params.threadSource != null) payload.thread_source = params.threadSource;
  if (params.agentNickname != null) payload.agent_nickname = params.agentNickname;
  if (params.agentRole != null) payload.agent_role = params.agentRole;
  if (params.agentPath != null) payload.agent_path = params.agentPath;
  payload.model_provider = params.metadata.modelProvider;
  if (params.baseInstructions != null) payload.base_instructions = params.baseInstructions;
  if (params.dynamicTools && params.dynamicTools.length > 0) payload.dynamic_tools = params.dynamicTools;
  if (params.metadata.memoryMode === 'disabled') payload.memory_mode = 'disabled';
  payload.history_mode = historyMode;
  if (params.initialWindowId) payload.context_window = { window_id: params.initialWindowId };
  const git = params.gitInfo;
  if (git && (git.sha || git.branch || git.originUrl)) {
    const g: Record<string, string> = {};
    if (git.sha) g.commit_hash = git.sha;
    if (git.branch) g.branch = git.branch;
    if (git.originUrl) g.repository_url = git.originUrl;
    payload.git = g;
  }
  return { timestamp: createdAt, type: 'session_meta', payload };
}
