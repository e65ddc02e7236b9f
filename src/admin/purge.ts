// Owns purging a tenant: deleting every row it has, table by table, in bounded batches, each batch
// its own transaction in the tenant's RLS context (so a purge can never touch another tenant, even
// when run by the owner). Resumable by construction: an interrupted purge has committed whole
// batches only, and running it again continues where it stopped. `complete` means verified: a
// final check found no row of the tenant left.
//
// Order: writer claims first (a live writer in another process is fenced off at its next append),
// then threads (the tenant's threads vanish from every listing right away), then the bulk of
// items, checkpoints, spawn edges, the tenant's clock, and last its tenants row (unless kept, e.g.
// to keep its name and quotas). Stop the tenant's traffic first: a thread created during a purge
// is a new row that the purge may or may not reach. To keep a copy, export the tenant first
// (`thread-store export`).
import type { Database } from '../db/database.js';
import { ConflictError } from '../model/errors.js';
import { tenantIdSchema } from '../model/ids.js';
import { parseOrThrow } from '../model/validate.js';

export type PurgeTable = 'thread_writers' | 'threads' | 'thread_items' | 'thread_checkpoints' | 'thread_spawn_edges' | 'tenant_clocks' | 'tenants';

export interface PurgeProgress {
  table: PurgeTable;
  /** Rows deleted from `table` so far in this run. */
  deleted: number;
  batches: number;
}

export interface PurgeOptions {
  /** Rows per transaction (default 5000). */
  batchSize?: number;
  /** Keep the tenants row (name and quotas); default false. */
  keepTenant?: boolean;
  /** Called after every committed batch. */
  onProgress?: (progress: PurgeProgress) => void;
  /** Checked between batches; an aborted purge stops after its current batch (run it again to finish). */
  signal?: AbortSignal;
}

export interface PurgeResult {
  tenantId: string;
  deleted: Record<PurgeTable, number>;
  batches: number;
  /** True only when a final check found no row of the tenant left; false when stopped by the signal. */
  complete: boolean;
}

/** Per table: the key columns that identify a row within the tenant. */
const PLAN: readonly { table: PurgeTable; keys: string; tenantColumn: string }[] = [
  { table: 'thread_writers', keys: 'thread_id', tenantColumn: 'tenant_id' },
  { table: 'threads', keys: 'id', tenantColumn: 'tenant_id' },
  { table: 'thread_items', keys: 'thread_id, seq', tenantColumn: 'tenant_id' },
  { table: 'thread_checkpoints', keys: 'thread_id, seq', tenantColumn: 'tenant_id' },
  { table: 'thread_spawn_edges', keys: 'child_thread_id', tenantColumn: 'tenant_id' },
  { table: 'tenant_clocks', keys: 'tenant_id', tenantColumn: 'tenant_id' },
  { table: 'tenants', keys: 'id', tenantColumn: 'id' },
];

/** Passes over PLAN before a purge that keeps finding new rows gives up (the tenant still has traffic). */
const MAX_PASSES = 3;

export async function purgeTenant(db: Database, tenantId: string, options: PurgeOptions = {}): Promise<PurgeResult> {
  const id = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 5000));
  const deleted = Object.fromEntries(PLAN.map((p) => [p.table, 0])) as Record<PurgeTable, number>;
  const steps = PLAN.filter((step) => !(step.table === 'tenants' && options.keepTenant));
  let batches = 0;
  // A purge claims success only when a final check finds nothing of the tenant left: rows written
  // while it ran (a live writer elsewhere, a concurrent import) are deleted by another pass, and a
  // tenant that keeps writing is a Conflict instead of a "complete" that left rows behind.
  for (let pass = 1; ; pass += 1) {
    for (const step of steps) {
      let tableBatches = 0;
      for (;;) {
        if (options.signal?.aborted) return { tenantId: id, deleted, batches, complete: false };
        // Table and column names come from PLAN above, never from input.
        const n = await db.transaction(
          async (tx) => {
            const r = await tx.query(
              `DELETE FROM thread_store.${step.table}
                WHERE ${step.tenantColumn} = $1
                  AND (${step.keys}) IN (SELECT ${step.keys} FROM thread_store.${step.table} WHERE ${step.tenantColumn} = $1 LIMIT $2)`,
              [id, batchSize],
            );
            return r.rowCount;
          },
          { tenantId: id, operation: `purgeTenant(${step.table})` },
        );
        if (n === 0) break;
        deleted[step.table] += n;
        batches++;
        tableBatches++;
        options.onProgress?.({ table: step.table, deleted: deleted[step.table], batches: tableBatches });
        if (n < batchSize) break;
      }
    }
    const left = await remainingTables(db, id, steps);
    if (left.length === 0) return { tenantId: id, deleted, batches, complete: true };
    if (pass >= MAX_PASSES) {
      throw new ConflictError(`tenant ${id} still has rows in ${left.join(', ')} after ${pass} passes: something keeps writing to it; stop its traffic and run the purge again`);
    }
  }
}

/** The tables of `steps` that still hold a row of the tenant. */
async function remainingTables(db: Database, tenantId: string, steps: readonly { table: PurgeTable; tenantColumn: string }[]): Promise<PurgeTable[]> {
  return db.transaction(
    async (tx) => {
      const out: PurgeTable[] = [];
      for (const step of steps) {
        const { rows } = await tx.query(`SELECT 1 FROM thread_store.${step.table} WHERE ${step.tenantColumn} = $1 LIMIT 1`, [tenantId]);
        if (rows.length > 0) out.push(step.table);
      }
      return out;
    },
    { tenantId, operation: 'purgeTenant(verify)' },
  );
}
