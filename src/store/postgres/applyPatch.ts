// Owns the SQL that applies a ThreadMetadataPatch literally to one threads row: present fields
// set, clears write NULL, git per field, tokenUsage also sets tokens_used, updated_at through the
// per-tenant clock, recency only forward. Column names come from a fixed table, never from input.
import type { ThreadMetadataPatch } from '../../model/patch.js';
import type { SqlExecutor } from '../../db/database.js';
import { sourceToColumn, type ThreadRowRecord } from './threadRow.js';

const SIMPLE_COLUMNS: [keyof ThreadMetadataPatch, string, string?][] = [
  ['name', 'name'],
  ['rolloutPath', 'rollout_path'],
  ['preview', 'preview'],
  ['title', 'title'],
  ['modelProvider', 'model_provider'],
  ['model', 'model'],
  ['reasoningEffort', 'reasoning_effort'],
  ['createdAt', 'created_at', 'timestamptz'],
  ['threadSource', 'thread_source'],
  ['agentNickname', 'agent_nickname'],
  ['agentRole', 'agent_role'],
  ['agentPath', 'agent_path'],
  ['cwd', 'cwd'],
  ['cliVersion', 'cli_version'],
  ['approvalMode', 'approval_mode'],
  ['firstUserMessage', 'first_user_message'],
  ['memoryMode', 'memory_mode'],
  ['historyMode', 'history_mode'],
];

export interface PatchStatement {
  text: string;
  params: unknown[];
}

/** The UPDATE for `patch`, or null when the patch sets nothing. `$1` tenant, `$2` thread id. */
export function buildPatchStatement(tenantId: string, threadId: string, patch: ThreadMetadataPatch, includeArchived: boolean): PatchStatement | null {
  const params: unknown[] = [tenantId, threadId];
  const sets: string[] = [];
  const p = (value: unknown, cast?: string) => {
    params.push(value);
    return `$${params.length}${cast ? `::${cast}` : ''}`;
  };
  for (const [key, column, cast] of SIMPLE_COLUMNS) {
    const value = patch[key];
    if (value === undefined) continue;
    sets.push(`${column} = ${p(value, cast)}`);
  }
  if (patch.source !== undefined) sets.push(`source = ${p(sourceToColumn(patch.source))}`);
  if (patch.permissionProfile !== undefined) sets.push(`permission_profile = ${p(JSON.stringify(patch.permissionProfile), 'jsonb')}`);
  if (patch.tokenUsage !== undefined) {
    sets.push(`token_usage = ${p(JSON.stringify(patch.tokenUsage), 'jsonb')}`);
    sets.push(`tokens_used = greatest(0, ${p(Math.trunc(patch.tokenUsage.total_tokens), 'bigint')})`);
  }
  const git = patch.gitInfo;
  if (git) {
    if (git.sha !== undefined) sets.push(`git_sha = ${p(git.sha)}`);
    if (git.branch !== undefined) sets.push(`git_branch = ${p(git.branch)}`);
    if (git.originUrl !== undefined) sets.push(`git_origin_url = ${p(git.originUrl)}`);
  }
  if (patch.updatedAt !== undefined) sets.push(`updated_at = thread_store.allocate_timestamp($1, ${p(patch.updatedAt, 'timestamptz')})`);
  if (patch.advanceRecencyAt !== undefined) {
    sets.push(`recency_at = greatest(recency_at, thread_store.allocate_timestamp($1, ${p(patch.advanceRecencyAt, 'timestamptz')}))`);
  }
  if (sets.length === 0) return null;
  const archived = includeArchived ? '' : ' AND archived_at IS NULL';
  return {
    text: `UPDATE thread_store.threads SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2${archived} RETURNING *`,
    params,
  };
}

export async function applyPatch(
  tx: SqlExecutor,
  tenantId: string,
  threadId: string,
  patch: ThreadMetadataPatch,
  includeArchived: boolean,
): Promise<ThreadRowRecord | null> {
  const statement = buildPatchStatement(tenantId, threadId, patch, includeArchived);
  if (!statement) return null;
  const { rows } = await tx.query<ThreadRowRecord>(statement.text, statement.params);
  return rows[0] ?? null;
}
