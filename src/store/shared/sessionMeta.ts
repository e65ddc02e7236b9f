// Owns the session_meta line a store writes first when it materializes a thread created through
// createThread (Codex's RolloutRecorder builds the same from CreateThreadParams). Values of Codex
// types (base instructions, dynamic tools, capability roots, source) are written as given, so every
// field Codex's own value carries comes back in the history.
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
  if (params.selectedCapabilityRoots && params.selectedCapabilityRoots.length > 0) payload.selected_capability_roots = params.selectedCapabilityRoots;
  if (params.metadata.memoryMode === 'disabled') payload.memory_mode = 'disabled';
  payload.history_mode = historyMode;
  if (params.multiAgentVersion != null) payload.multi_agent_version = params.multiAgentVersion;
  if (params.initialWindowId) payload.context_window = { window_id: params.initialWindowId };
  // Validated params carry the app-server spelling; the rollout uses core GitInfo's.
  const git = params.gitInfo;
  const sha = git?.sha ?? git?.commit_hash;
  const originUrl = git?.originUrl ?? git?.repository_url;
  if (git && (sha || git.branch || originUrl)) {
    const g: Record<string, string> = {};
    if (sha) g.commit_hash = sha;
    if (git.branch) g.branch = git.branch;
    if (originUrl) g.repository_url = originUrl;
    payload.git = g;
  }
  return { timestamp: createdAt, type: 'session_meta', payload };
}
