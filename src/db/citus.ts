// Owns the Citus layout of the schema (`thread-store distribute`, docs/SCALING.md §1): on a migrated
// database on a Citus coordinator, every table with a tenant_id is distributed by it, co-located with
// threads (all of a tenant's rows on one shard, every tenant statement routed to one worker), and the
// tenant-less tables (tenants, writer_processes) become reference tables (a copy on every node).
// Idempotent: what is already in place is left alone, so it is also what `migrate` re-applies after
// it applied a migration to a distributed database (new tables get distributed, new policies get the
// Citus form).
//
// Citus refuses sub-selects in the policies of its tables, and the single-node policies use one
// (`tenant_id = ANY ((SELECT current_tenant_ids())::uuid[])`: an InitPlan, read once per statement).
// Here they get the sub-select-free form `tenant_id = ANY (current_tenant_ids())`; on Citus every
// tenant statement has a single-tenant scope (groupCommitWriter.ts cuts batches per tenant), so the
// per-row call parses one id. The tenants policy's owner lookup moves into a function for the same
// reason. The policies run on the workers, with the scope that src/db/tenantPipeline.ts propagates.
import { InternalError, UnsupportedError } from '../model/errors.js';
import type { SqlExecutor } from './database.js';
import type { DatabaseLayout } from './tenantPipeline.js';
import { APP_ROLE } from './roles.js';

/** The co-location group's anchor: threads gets the shard count, everything else follows it. */
export const COLOCATION_ANCHOR = 'threads';
/** Shards per distributed table (Citus's default): enough to spread tenants over many workers later. */
export const SHARD_COUNT = 32;
/** Tables without tenant_id: small, read on every node, written rarely. */
export const REFERENCE_TABLES = ['tenants', 'writer_processes'] as const;

export interface CitusStatus {
  citusVersion: string | null;
  workers: number;
  /** thread_store tables and how Citus holds them: 'distributed' | 'reference' | 'local'. */
  tables: { table: string; kind: 'distributed' | 'reference' | 'local'; shards: number }[];
}

export interface DistributeResult {
  citusVersion: string;
  workers: number;
  distributed: string[];
  reference: string[];
  policiesRewritten: string[];
  alreadyInPlace: boolean;
}

const TENANT_POLICY = (qualifier: string) =>
  `${qualifier} = ANY ("thread_store"."current_tenant_ids"())`;

/** The Citus version on this server, or null when the extension is not installed. */
export async function citusVersion(exec: SqlExecutor): Promise<string | null> {
  const { rows } = await exec.query<{ v: string | null }>(`SELECT (SELECT extversion FROM pg_extension WHERE extname = 'citus') AS v`);
  return rows[0]?.v ?? null;
}

/**
 * Where the tables live (Database.layout, and migrate deciding whether to re-distribute):
 * distributed when Citus is installed and thread_store.threads is one of its tables.
 */
export async function detectLayout(exec: SqlExecutor): Promise<DatabaseLayout> {
  if ((await citusVersion(exec)) === null) return 'single';
  const { rows } = await exec.query<{ distributed: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = to_regclass('thread_store.threads')) AS distributed`,
  );
  return rows[0]?.distributed ? 'citus-distributed' : 'single';
}

/** How the thread_store tables are held right now (for doctor and the tests). */
export async function citusStatus(exec: SqlExecutor): Promise<CitusStatus> {
  const version = await citusVersion(exec);
  if (version === null) return { citusVersion: null, workers: 0, tables: [] };
  const workers = await exec.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0 AND isactive`);
  const { rows } = await exec.query<{ table: string; kind: string | null; shards: number }>(
    `SELECT c.relname AS table,
            CASE p.partmethod WHEN 'h' THEN 'distributed' WHEN 'n' THEN 'reference' ELSE 'local' END AS kind,
            (SELECT count(*)::int FROM pg_dist_shard s WHERE s.logicalrelid = c.oid) AS shards
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
      WHERE n.nspname = 'thread_store' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY 1`,
  );
  return {
    citusVersion: await fullVersion(exec),
    workers: workers.rows[0]?.n ?? 0,
    tables: rows.map((r) => ({ table: r.table, kind: (r.kind ?? 'local') as 'distributed' | 'reference' | 'local', shards: r.shards })),
  };
}

async function fullVersion(exec: SqlExecutor): Promise<string> {
  const { rows } = await exec.query<{ v: string }>(`SELECT split_part(citus_version(), ' ', 2) AS v`);
  return rows[0]?.v ?? 'unknown';
}

/**
 * Distribute the migrated schema on this Citus coordinator (see the module comment). Runs on a
 * session as the schema's owner (a superuser on a stock cluster); refuses with Unsupported on a server
 * without Citus and with Internal on an unmigrated database.
 */
export async function distribute(session: SqlExecutor): Promise<DistributeResult> {
  const version = await citusVersion(session);
  if (version === null) {
    throw new UnsupportedError('distribute (this server has no Citus extension: run it on a Citus coordinator, see docs/SCALING.md §1)');
  }
  const coordinator = await session.query<{ ok: boolean }>(`SELECT citus_is_coordinator() AS ok`);
  if (!coordinator.rows[0]?.ok) throw new UnsupportedError('distribute (this Citus node is not the coordinator: connect to the coordinator)');
  const schema = await session.query<{ ok: boolean }>(`SELECT to_regclass('thread_store.threads') IS NOT NULL AS ok`);
  if (!schema.rows[0]?.ok) throw new InternalError('the database has no thread_store schema yet: run `thread-store migrate` on the coordinator first, then distribute');

  const result: DistributeResult = { citusVersion: await fullVersion(session), workers: 0, distributed: [], reference: [], policiesRewritten: [], alreadyInPlace: false };
  result.workers = (await citusStatus(session)).workers;

  // The application role runs the shard queries on the workers under its own name: Citus opens
  // those connections as the current role, so it must be allowed to log in (Citus propagates ALTER ROLE).
  await session.query(`DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}' AND NOT rolcanlogin) THEN ALTER ROLE ${APP_ROLE} LOGIN; END IF;
    END $$`);

  // The owner clause of the tenants policy without a sub-select (members of the table's owner read every row).
  await session.query(`CREATE OR REPLACE FUNCTION "thread_store"."reads_all_tenants"() RETURNS boolean
      LANGUAGE sql STABLE
      AS $$ SELECT pg_has_role(current_user, c.relowner, 'MEMBER') FROM pg_class c WHERE c.oid = '"thread_store"."tenants"'::regclass $$`);
  await session.query(`DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN GRANT EXECUTE ON FUNCTION "thread_store"."reads_all_tenants"() TO ${APP_ROLE}; END IF;
    END $$`);

  result.policiesRewritten = await rewritePolicies(session);

  const tables = await session.query<{ table: string; tenant: boolean; kind: string | null }>(
    `SELECT c.relname AS table,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant,
            (SELECT p.partmethod::text FROM pg_dist_partition p WHERE p.logicalrelid = c.oid) AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'thread_store' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname = '${COLOCATION_ANCHOR}' DESC, c.relname`,
  );
  for (const t of tables.rows) {
    if (t.kind !== null) continue;
    const qualified = `thread_store.${t.table}`;
    if (t.tenant) {
      if (t.table === COLOCATION_ANCHOR) {
        await session.query(`SELECT create_distributed_table($1, 'tenant_id', shard_count := ${SHARD_COUNT})`, [qualified]);
      } else {
        await session.query(`SELECT create_distributed_table($1, 'tenant_id', colocate_with := $2)`, [qualified, `thread_store.${COLOCATION_ANCHOR}`]);
      }
      result.distributed.push(t.table);
    } else {
      await session.query(`SELECT create_reference_table($1)`, [qualified]);
      result.reference.push(t.table);
    }
    // Rows that were there before now live in the shards; the coordinator's copy goes.
    await session.query(`SELECT truncate_local_data_after_distributing_table($1)`, [qualified]);
  }
  result.alreadyInPlace = result.distributed.length === 0 && result.reference.length === 0 && result.policiesRewritten.length === 0;
  return result;
}

/** Replace every policy that holds a sub-select with its Citus form; returns the tables changed. */
async function rewritePolicies(session: SqlExecutor): Promise<string[]> {
  const { rows } = await session.query<{ table: string; qual: string | null; check: string | null }>(
    `SELECT tablename AS table, qual, with_check AS check FROM pg_policies
      WHERE schemaname = 'thread_store' AND policyname = 'tenant_isolation'
        AND (qual ~* '\\mselect\\M' OR with_check ~* '\\mselect\\M')
      ORDER BY tablename`,
  );
  for (const { table } of rows) {
    const t = `"thread_store".${quoteIdent(table)}`;
    await session.query(`DROP POLICY tenant_isolation ON ${t}`);
    if (table === 'tenants') {
      await session.query(`CREATE POLICY tenant_isolation ON ${t} FOR ALL
          USING (${TENANT_POLICY('id')} OR "thread_store"."reads_all_tenants"())
          WITH CHECK (id = "thread_store"."current_tenant_id"())`);
    } else {
      await session.query(`CREATE POLICY tenant_isolation ON ${t} FOR ALL USING (${TENANT_POLICY('tenant_id')}) WITH CHECK (${TENANT_POLICY('tenant_id')})`);
    }
  }
  return rows.map((r) => r.table);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
