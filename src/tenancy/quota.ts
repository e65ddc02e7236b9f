// Owns per-tenant quota enforcement: thread_store.tenants.max_threads (threads stored) and
// max_item_bytes (total UTF-8 JSON bytes of the tenant's stored items, as counted in
// threads.byte_size). Checked inside the transaction that would exceed them — the group-commit
// batch that materializes threads and inserts items, createThread (fail fast), forkThread — so a
// refused write leaves nothing behind. Tenants without a tenants row or without quotas pay one
// primary-key lookup per batch; quota'd tenants also take the row lock of their tenants row, so two
// processes cannot both see room for the last thread (the check is serialized per tenant).
import { ResourceExhaustedError } from '../model/errors.js';
import type { SqlExecutor } from '../db/database.js';

export interface QuotaDemand {
  /** Threads the transaction adds. */
  threads: number;
  /** Item bytes the transaction adds. */
  bytes: number;
}

export interface TenantQuota {
  maxThreads: number | null;
  maxItemBytes: number | null;
}

export interface TenantUsageNumbers {
  threads: number;
  itemBytes: number;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The tenant's quotas as its own transaction sees them (no tenants row = no quotas). */
export async function readQuota(tx: SqlExecutor, tenantId: string, lock = false): Promise<TenantQuota> {
  const { rows } = await tx.query<{ max_threads: unknown; max_item_bytes: unknown }>(
    `SELECT max_threads, max_item_bytes FROM thread_store.tenants WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [tenantId],
  );
  const row = rows[0];
  return { maxThreads: num(row?.max_threads), maxItemBytes: num(row?.max_item_bytes) };
}

/** What the tenant stores now: thread rows and the sum of their item bytes. */
export async function readUsage(tx: SqlExecutor, tenantId: string): Promise<TenantUsageNumbers> {
  const { rows } = await tx.query<{ threads: unknown; bytes: unknown }>(
    'SELECT count(*) AS threads, coalesce(sum(byte_size), 0) AS bytes FROM thread_store.threads WHERE tenant_id = $1',
    [tenantId],
  );
  return { threads: Number(rows[0]?.threads ?? 0), itemBytes: Number(rows[0]?.bytes ?? 0) };
}

/**
 * Throw ResourceExhausted when adding `demand` would take the tenant past a quota. Must run in the
 * tenant's transaction (RLS), before the rows are written; the caller's transaction then rolls
 * back, so a refused append or create stores nothing. With `alreadyWritten` the rows are in
 * (uncommitted) and the check runs after them, under the same lock.
 */
export async function enforceTenantQuota(tx: SqlExecutor, tenantId: string, demand: QuotaDemand, options: { alreadyWritten?: boolean } = {}): Promise<void> {
  if (demand.threads <= 0 && demand.bytes <= 0) return;
  const unlocked = await readQuota(tx, tenantId);
  const relevant = (demand.threads > 0 && unlocked.maxThreads !== null) || (demand.bytes > 0 && unlocked.maxItemBytes !== null);
  if (!relevant) return;
  // Re-read under the row lock: the lock serializes quota checks of this tenant across processes.
  const quota = await readQuota(tx, tenantId, true);
  const usage = await readUsage(tx, tenantId);
  // After the write (forkThread inserts before it can be checked), usage already holds the demand.
  if (options.alreadyWritten) {
    usage.threads -= demand.threads;
    usage.itemBytes -= demand.bytes;
  }
  if (demand.threads > 0 && quota.maxThreads !== null && usage.threads + demand.threads > quota.maxThreads) {
    throw new ResourceExhaustedError(
      `tenant ${tenantId} has ${usage.threads} of its ${quota.maxThreads} allowed threads; ${demand.threads} more would exceed the quota`,
      { path: 'tenant.maxThreads' },
    );
  }
  if (demand.bytes > 0 && quota.maxItemBytes !== null && usage.itemBytes + demand.bytes > quota.maxItemBytes) {
    throw new ResourceExhaustedError(
      `tenant ${tenantId} stores ${usage.itemBytes} of its ${quota.maxItemBytes} allowed item bytes; ${demand.bytes} more would exceed the quota`,
      { path: 'tenant.maxItemBytes' },
    );
  }
}
