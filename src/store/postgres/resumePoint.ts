// Owns the resume point kept on each threads row (resume_checkpoint_seq, resume_seq,
// compactions_before_resume): where O(tail) resume starts reading. It is the newest checkpoint
// that carries a replacement history, read from the first line of that checkpoint's turn (the
// turn's own settings sit before the compaction), with the number of compactions before that
// start (Codex's fallback window number counts all of them). Every path that writes checkpoint rows
// (appends, import, detaching a fork from a deleted base) refreshes it in the same transaction, so a
// resume never has to look for it. Whether that checkpoint survives later rollbacks is decided when
// reading (src/store/postgres/reconstructHistory.ts), not here. Rows at negative seqs (lines an
// import keeps although a revert cut them off) are never history, so never a resume point.
import type { NamedStatement, SqlExecutor } from '../../db/database.js';

/**
 * The refresh for threads given as ($1 tenant ids, $2 thread ids, pairwise), every table read with
 * its tenant taken from `tenant`: `x.tenant_id` (each thread's own, any number of tenants in one
 * statement) or a parameter holding the one tenant of the statement — the form a Citus coordinator
 * routes to that tenant's shard (each distributed table must name the tenant as a value there:
 * src/db/citus.ts).
 */
function resumePointRefreshSql(tenant: string): string {
  return `UPDATE thread_store.threads t
            SET resume_checkpoint_seq = m.checkpoint_seq,
                resume_seq = coalesce(s.start_seq, 0),
                compactions_before_resume = n.before
           FROM unnest($1::uuid[], $2::uuid[]) AS x(tenant_id, thread_id)
          CROSS JOIN LATERAL (
            SELECT max(c.seq) AS checkpoint_seq FROM thread_store.thread_checkpoints c
             WHERE c.tenant_id = ${tenant} AND c.thread_id = x.thread_id AND c.seq >= 0 AND c.replacement_history_size IS NOT NULL) m
          CROSS JOIN LATERAL (
            SELECT least(m.checkpoint_seq, (
              SELECT min(k.seq) FROM thread_store.thread_items k
               WHERE k.tenant_id = ${tenant} AND k.thread_id = x.thread_id AND k.seq >= 0
                 AND k.turn_id = (SELECT c.turn_id FROM thread_store.thread_items c
                                   WHERE c.tenant_id = ${tenant} AND c.thread_id = x.thread_id AND c.seq = m.checkpoint_seq))) AS start_seq) s
          CROSS JOIN LATERAL (
            SELECT count(*)::int AS before FROM thread_store.thread_checkpoints b
             WHERE b.tenant_id = ${tenant} AND b.thread_id = x.thread_id AND b.seq >= 0 AND b.seq < coalesce(s.start_seq, 0)) n
          WHERE t.tenant_id = x.tenant_id AND t.id = x.thread_id${tenant === 'x.tenant_id' ? '' : ` AND t.tenant_id = ${tenant}`}`;
}

/**
 * Recompute the resume point of the threads ($1 tenant ids, $2 thread ids, pairwise) from their
 * checkpoint and item rows. One statement for any number of threads and tenants (a group-commit
 * batch runs it for every thread it compacted).
 */
export const RESUME_POINT_REFRESH: NamedStatement = {
  name: 'thread_store_resume_point_refresh_v1',
  text: resumePointRefreshSql('x.tenant_id'),
};

/** The same for threads of ONE tenant, $3: the statement names the tenant for every table it reads. */
export const RESUME_POINT_REFRESH_ONE_TENANT: NamedStatement = {
  name: 'thread_store_resume_point_refresh_one_tenant_v1',
  text: resumePointRefreshSql('$3::uuid'),
};

/** Recompute the resume point of `threadIds` (all of one tenant). */
export async function refreshResumePoints(tx: SqlExecutor, tenantId: string, threadIds: readonly string[]): Promise<void> {
  if (threadIds.length === 0) return;
  const ids = [...new Set(threadIds)];
  await tx.query(RESUME_POINT_REFRESH_ONE_TENANT.text, [ids.map(() => tenantId), ids, tenantId]);
}
