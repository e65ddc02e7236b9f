// Owns the JSON shape of threads and turns on the command line (`--json`): Codex app-server field
// names (`Thread`: id, name, preview, createdAt/updatedAt in Unix seconds, cwd, modelProvider, source,
// gitInfo {sha, branch, originUrl}, forkedFromId, ...), plus fields of ours (archived, title, model,
// tokensUsed, itemCount, ...). `source` keeps the rollout spelling (`"vscode"`, `{"subagent":...}`).
import type { StoredTurn } from '../../model/params.js';
import type { SessionSource, StoredThread } from '../../model/thread.js';

export interface CliGitInfo {
  sha: string | null;
  branch: string | null;
  originUrl: string | null;
}

export interface CliThread {
  id: string;
  name: string | null;
  preview: string;
  /** Unix seconds, like Codex's app-server. */
  createdAt: number;
  updatedAt: number;
  cwd: string;
  modelProvider: string;
  source: SessionSource;
  gitInfo: CliGitInfo | null;
  forkedFromId: string | null;
  parentThreadId: string | null;
  agentNickname: string | null;
  agentRole: string | null;
  cliVersion: string;
  /** Rollout path relative to the CODEX_HOME it was imported from (null for store-created threads). */
  path: string | null;
  ephemeral: false;
  // ours
  archived: boolean;
  archivedAt: number | null;
  recencyAt: number;
  title: string;
  model: string | null;
  reasoningEffort: string | null;
  tokensUsed: number;
  itemCount: number;
  sessionId: string | null;
}

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export function toCliThread(t: StoredThread): CliThread {
  return {
    id: t.threadId,
    name: t.name,
    preview: t.preview,
    createdAt: seconds(t.createdAt),
    updatedAt: seconds(t.updatedAt),
    cwd: t.cwd,
    modelProvider: t.modelProvider,
    source: t.source,
    gitInfo: t.gitInfo ? { sha: t.gitInfo.sha, branch: t.gitInfo.branch, originUrl: t.gitInfo.originUrl } : null,
    forkedFromId: t.forkedFromId,
    parentThreadId: t.parentThreadId,
    agentNickname: t.agentNickname,
    agentRole: t.agentRole,
    cliVersion: t.cliVersion,
    path: t.rolloutPath,
    ephemeral: false,
    archived: t.archivedAt !== null,
    archivedAt: t.archivedAt === null ? null : seconds(t.archivedAt),
    recencyAt: seconds(t.recencyAt),
    title: t.title,
    model: t.model,
    reasoningEffort: t.reasoningEffort,
    tokensUsed: t.tokensUsed,
    itemCount: t.itemCount,
    sessionId: t.sessionId,
  };
}

export interface CliTurn {
  id: string;
  status: StoredTurn['status'];
  error: { message: string } | null;
  /** Unix seconds (as the events carry them). */
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
}

export function toCliTurn(t: StoredTurn): CliTurn {
  return {
    id: t.turnId,
    status: t.status,
    error: t.error ? { message: t.error.message } : null,
    startedAt: t.startedAt,
    completedAt: t.completedAt,
    durationMs: t.durationMs,
  };
}

export function sourceLabel(source: SessionSource): string {
  if (typeof source === 'string') return source;
  const keys = Object.keys(source);
  return keys.length === 1 ? keys[0]! : JSON.stringify(source);
}
