// Owns per-tenant quota enforcement on PostgreSQL: thread_store.tenants.max_threads (threads
// stored) and max_item_bytes (total UTF-8 JSON bytes of the tenant's stored items, as counted in
// threads.byte_size). Checked inside the transaction that would exceed them — the group-commit
// batch that materializes threads and inserts items, createThread (fail fast), forkThread, import —
// so a refused write leaves nothing behind. The check itself is thread_store.enforce_quotas (0009),
// one statement for every tenant of a batch: tenants without quotas cost a probe of a partial index
// of quota'd tenants; a quota'd tenant's row is locked, so two processes cannot both see room for
// the last thread (the check is serialized per tenant). Setting quotas is an operator call (admin).
import type { NamedStatement, SqlExecutor } from '../../db/database.js';

export interface QuotaDemand {
  /** Threads the transaction adds. */
  threads: number;
  /** Item bytes the transaction adds. */
  bytes: number;
}

/**
 * The quota check of thread_store.enforce_quotas (drizzle/0009_*.sql), for any number of tenants:
 * $1 tenant ids, $2 threads and $3 item bytes each adds (pairwise; summed per tenant), $4 whether the
 * rows are already written. Fails with SQLSTATE 53400 (ResourceExhausted, DETAIL = the quota's path)
 * when a tenant would go past a quota; tenants without quotas cost one probe of a partial index.
 */
export const QUOTA_CHECK: NamedStatement = {
  name: 'thread_store_quota_check_v2',
  genericPlan: true,
  // The plpgsql check runs only when a tenant of the batch has a quota: for the others the answer
  // is a probe of tenants_quota_idx (which holds quota'd tenants only), ~10 µs instead of ~140.
  text: `SELECT CASE WHEN EXISTS (SELECT 1 FROM thread_store.tenants t
                                    WHERE t.id = ANY ($1::uuid[]) AND (t.max_threads IS NOT NULL OR t.max_item_bytes IS NOT NULL))
                     THEN thread_store.enforce_quotas($1::uuid[], $2::bigint[], $3::bigint[], $4::boolean)
                     ELSE true END AS ok`,
};

/**
 * Throw ResourceExhausted when adding `demand` would take the tenant past a quota. Must run in the
 * tenant's transaction (RLS), before the rows are written; the caller's transaction then rolls
 * back, so a refused append or create stores nothing. With `alreadyWritten` the rows are in
 * (uncommitted) and the check runs after them, under the same lock.
 */
export async function enforceTenantQuota(tx: SqlExecutor, tenantId: string, demand: QuotaDemand, options: { alreadyWritten?: boolean } = {}): Promise<void> {
  if (demand.threads <= 0 && demand.bytes <= 0) return;
  await tx.query(QUOTA_CHECK.text, [[tenantId], [demand.threads], [demand.bytes], options.alreadyWritten ?? false]);
}
