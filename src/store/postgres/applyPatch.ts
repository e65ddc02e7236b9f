// Owns the SQL that applies a ThreadMetadataPatch literally to one threads row: present fields
// set, clears write NULL, git per field, tokenUsage also sets tokens_used, updated_at through the
// per-tenant clock, recency only forward. Column names come from the drizzle schema, never from input.
import type { ThreadMetadataPatch } from '../../model/patch.js';
import type { DatabaseLayout, SqlExecutor } from '../../db/database.js';
import { sourceToColumn, type ThreadRowRecord } from './threadRow.js';
import { threads } from '../../db/schema/threads.js';
import { arrayElementType, columnName, type ColumnKey } from '../../db/schema/columns.js';

/** Patch fields written as they are to the column of the same property (names and types from the schema). */
const SIMPLE_KEYS = [
  'name',
  'rolloutPath',
  'preview',
  'title',
  'modelProvider',
  'model',
  'reasoningEffort',
  'createdAt',
  'threadSource',
  'agentNickname',
  'agentRole',
  'agentPath',
  'cwd',
  'cliVersion',
  'approvalMode',
  'firstUserMessage',
  'memoryMode',
  'historyMode',
] as const satisfies readonly (keyof ThreadMetadataPatch & ColumnKey<typeof threads>)[];

const SIMPLE_COLUMNS: [keyof ThreadMetadataPatch, string, string?][] = SIMPLE_KEYS.map((k) => {
  const type = arrayElementType(threads, k);
  return [k, columnName(threads, k), type === 'timestamptz' ? type : undefined];
});

export interface PatchStatement {
  text: string;
  params: unknown[];
}

/**
 * The statements that apply `patch`, in order (none when the patch sets nothing): the UPDATE, and on
 * a distributed database the clock allocations before it. Citus refuses a volatile function (the
 * clock, thread_store.allocate_timestamp) inside an UPDATE of a distributed table; there each
 * allocation runs first as its own statement on the coordinator and parks its value in a
 * transaction-local setting, which the UPDATE reads with current_setting (stable: Citus evaluates
 * it on the coordinator and sends the shard the value). Same clock, same order, same transaction.
 */
export function buildPatchStatements(
  tenantId: string,
  threadId: string,
  patch: ThreadMetadataPatch,
  includeArchived: boolean,
  layout: DatabaseLayout = 'single',
): PatchStatement[] {
  if (layout === 'single') {
    const statement = buildPatchStatement(tenantId, threadId, patch, includeArchived);
    return statement ? [statement] : [];
  }
  const allocations: PatchStatement[] = [];
  if (patch.updatedAt !== undefined) {
    allocations.push({
      text: `SELECT set_config('thread_store.alloc_u', thread_store.allocate_timestamp($1::uuid, $2::timestamptz)::text, true) AS v`,
      params: [tenantId, patch.updatedAt],
    });
  }
  if (patch.advanceRecencyAt !== undefined) {
    // The same instant as updatedAt shares its allocation, as in the single-server form.
    allocations.push({
      text: `SELECT set_config('thread_store.alloc_r', CASE WHEN $2::timestamptz = $3::timestamptz THEN current_setting('thread_store.alloc_u')
                                                        ELSE thread_store.allocate_timestamp($1::uuid, $2::timestamptz)::text END, true) AS v`,
      params: [tenantId, patch.advanceRecencyAt, patch.updatedAt ?? null],
    });
  }
  const update = buildPatchStatement(tenantId, threadId, patch, includeArchived, 'parked');
  return update ? [...allocations, update] : [];
}

/** The UPDATE for `patch`, or null when the patch sets nothing. `$1` tenant, `$2` thread id. */
export function buildPatchStatement(
  tenantId: string,
  threadId: string,
  patch: ThreadMetadataPatch,
  includeArchived: boolean,
  clock: 'inline' | 'parked' = 'inline',
): PatchStatement | null {
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
  // updated_at / recency_at go through the tenant clock, updated_at first; when both name the same
  // instant (a turn start) they share one allocation. The FROM items are evaluated once, in order.
  const from: string[] = [];
  if (clock === 'parked') {
    // Allocated by the statements buildPatchStatements puts before this one.
    if (patch.updatedAt !== undefined) {
      from.push(`(SELECT current_setting('thread_store.alloc_u')::timestamptz AS v) alloc_u`);
      sets.push('updated_at = alloc_u.v');
    }
    if (patch.advanceRecencyAt !== undefined) from.push(`(SELECT current_setting('thread_store.alloc_r')::timestamptz AS v) alloc_r`);
  } else if (patch.updatedAt !== undefined) {
    const u = p(patch.updatedAt, 'timestamptz');
    from.push(`(SELECT thread_store.allocate_timestamp($1, ${u}) AS v) alloc_u`);
    sets.push('updated_at = alloc_u.v');
    if (patch.advanceRecencyAt !== undefined) {
      const r = p(patch.advanceRecencyAt, 'timestamptz');
      from.push(`LATERAL (SELECT CASE WHEN ${r} = ${u} THEN alloc_u.v ELSE thread_store.allocate_timestamp($1, ${r}) END AS v) alloc_r`);
    }
  } else if (patch.advanceRecencyAt !== undefined) {
    from.push(`(SELECT thread_store.allocate_timestamp($1, ${p(patch.advanceRecencyAt, 'timestamptz')}) AS v) alloc_r`);
  }
  if (patch.advanceRecencyAt !== undefined) sets.push('recency_at = greatest(threads.recency_at, alloc_r.v)');
  if (sets.length === 0) return null;
  const archived = includeArchived ? '' : ' AND threads.archived_at IS NULL';
  return {
    text: `UPDATE thread_store.threads SET ${sets.join(', ')}${from.length ? ` FROM ${from.join(' CROSS JOIN ')}` : ''}
            WHERE threads.tenant_id = $1 AND threads.id = $2${archived} RETURNING threads.*`,
    params,
  };
}

export async function applyPatch(
  tx: SqlExecutor,
  tenantId: string,
  threadId: string,
  patch: ThreadMetadataPatch,
  includeArchived: boolean,
  layout: DatabaseLayout = 'single',
): Promise<ThreadRowRecord | null> {
  const statements = buildPatchStatements(tenantId, threadId, patch, includeArchived, layout);
  if (statements.length === 0) return null;
  let rows: ThreadRowRecord[] = [];
  for (const statement of statements) ({ rows } = await tx.query<ThreadRowRecord>(statement.text, statement.params));
  return rows[0] ?? null;
}
