// Owns `thread-store doctor`: where we are connected, server version, schema version, partitions
// and row-level security status, so an operator can see at a glance that the store is sound.
import type { Command } from 'commander';
import { citusStatus, type CitusStatus } from '../../db/citus.js';
import { schemaStatus } from '../../db/migrate.js';
import { TABLES_WITHOUT_TENANT_DATA, THREAD_ITEM_PARTITIONS } from '../../db/schema/index.js';
import { globalOptions, openCliDatabase } from '../connect.js';

interface TableSecurity {
  table: string;
  rls: boolean;
  forced: boolean;
  policies: number;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('show connection, schema version, partitions and row-level security status')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const db = await openCliDatabase(globalOptions(command));
      try {
        const status = await schemaStatus(db);
        const report = await db.withSession(async (s) => {
          const version = (await s.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v;
          const exists = (await s.query<{ ok: boolean }>(`SELECT to_regclass('thread_store.thread_items') IS NOT NULL AS ok`)).rows[0]!.ok;
          if (!exists) return { version, partitions: 0, tables: [] as TableSecurity[] };
          const partitions = (await s.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'thread_store.thread_items'::regclass`)).rows[0]!.n;
          const tables = (
            await s.query<TableSecurity>(
              `SELECT c.relname AS table, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
                      (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'thread_store' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
            )
          ).rows;
          return { version, partitions, tables };
        });
        // Tables without tenant data (writer_processes: process ids and times) need no row security.
        const secured = (t: TableSecurity) => TABLES_WITHOUT_TENANT_DATA.includes(t.table) || (t.rls && t.forced && t.policies > 0);
        // The layout (src/db/citus.ts): a distributed database must have every table distributed.
        const layout = await db.layout();
        const citus: CitusStatus | null = db.kind === 'postgres' ? await db.withSession((s) => citusStatus(s)) : null;
        const local = citus && layout === 'citus-distributed' ? citus.tables.filter((t) => t.kind === 'local').map((t) => t.table) : [];
        const healthy = status.pendingMigrations.length === 0 && report.partitions === THREAD_ITEM_PARTITIONS && report.tables.every(secured) && local.length === 0;
        const out = {
          location: db.location,
          kind: db.kind,
          server: report.version,
          layout,
          ...(citus?.citusVersion ? { citus } : {}),
          ...status,
          itemPartitions: report.partitions,
          rowLevelSecurity: report.tables,
          healthy,
        };
        if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
        else {
          const lines = [
            `database:    ${db.location} (${db.kind === 'embedded' ? 'embedded PGlite' : 'PostgreSQL server'})`,
            `server:      ${report.version.split(' on ')[0]}`,
            `schema:      ${status.appliedMigrations.length} applied${status.pendingMigrations.length ? `, pending: ${status.pendingMigrations.join(', ')}` : ', up to date'}`,
            `layout:      ${layoutLine(layout, citus, local)}`,
            `partitions:  thread_items has ${report.partitions} hash partitions`,
            `row security:`,
            ...report.tables.map((t) =>
              TABLES_WITHOUT_TENANT_DATA.includes(t.table)
                ? `  ${t.table.padEnd(22)} no tenant data, no row security needed`
                : `  ${t.table.padEnd(22)} ${t.rls ? 'enabled' : 'DISABLED'}${t.forced ? ', forced' : ', NOT forced'}, ${t.policies} polic${t.policies === 1 ? 'y' : 'ies'}`,
            ),
            `status:      ${healthy ? 'ok' : 'PROBLEMS FOUND'}`,
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (!healthy) process.exitCode = 1;
      } finally {
        await db.close();
      }
    });
}

function layoutLine(layout: string, citus: CitusStatus | null, local: string[]): string {
  if (layout === 'single') {
    return citus?.citusVersion ? `single node (Citus ${citus.citusVersion} is installed; run \`thread-store distribute\` to distribute)` : 'single node';
  }
  const distributed = citus!.tables.filter((t) => t.kind === 'distributed');
  const reference = citus!.tables.filter((t) => t.kind === 'reference').map((t) => t.table);
  const shards = distributed.find((t) => t.table === 'threads')?.shards ?? 0;
  const problems = local.length ? `; NOT distributed: ${local.join(', ')} (run \`thread-store distribute\`)` : '';
  return `Citus ${citus!.citusVersion} with ${citus!.workers} workers: ${distributed.length} tables distributed by tenant_id (${shards} shards each), reference: ${reference.join(', ')}${problems}`;
}
