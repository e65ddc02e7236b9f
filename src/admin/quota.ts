// Owns reading a tenant's quotas and usage (the registry's max_threads / max_item_bytes and what
// the tenant stores). Enforcing them is the store's job (src/store/postgres/quota.ts).
import type { SqlExecutor } from '../db/database.js';

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

