// Owns `thread-store stats`: per-tenant totals (threads, archived, items, bytes, tokens) and tokens
// by model/provider and by day. Plain SQL over the threads row for now: a thread's tokens_used (its
// latest total) is counted on the UTC day the thread was created; item rows of cut-off revert tails
// (negative seqs) are not counted.
import type { Command } from 'commander';
import type { SqlExecutor } from '../../db/database.js';
import { globalOptions, openCliStore } from '../connect.js';
import { formatBytes, renderTable } from '../format/table.js';
import { resolveTenant, TENANT_HELP } from './tenant.js';

export interface TenantStats {
  tenantId: string;
  threads: number;
  archived: number;
  forks: number;
  subagents: number;
  items: number;
  bytes: number;
  tokens: number;
  byModel: { modelProvider: string; model: string | null; threads: number; tokens: number }[];
  byDay: { day: string; threads: number; tokens: number }[];
}

export async function tenantStats(tx: SqlExecutor, tenantId: string): Promise<TenantStats> {
  const totals = (
    await tx.query<{ threads: number; archived: number; forks: number; subagents: number; tokens: number }>(
      `SELECT count(*)::bigint AS threads, count(archived_at)::bigint AS archived, count(forked_from_id)::bigint AS forks,
              count(parent_thread_id)::bigint AS subagents, coalesce(sum(tokens_used), 0)::bigint AS tokens
         FROM thread_store.threads WHERE tenant_id = $1`,
      [tenantId],
    )
  ).rows[0]!;
  const items = (
    await tx.query<{ items: number; bytes: number }>(
      `SELECT count(*)::bigint AS items, coalesce(sum(byte_size), 0)::bigint AS bytes
         FROM thread_store.thread_items WHERE tenant_id = $1 AND seq >= 0`,
      [tenantId],
    )
  ).rows[0]!;
  const byModel = (
    await tx.query<{ model_provider: string; model: string | null; threads: number; tokens: number }>(
      `SELECT model_provider, model, count(*)::bigint AS threads, coalesce(sum(tokens_used), 0)::bigint AS tokens
         FROM thread_store.threads WHERE tenant_id = $1 GROUP BY 1, 2 ORDER BY tokens DESC, 1, 2`,
      [tenantId],
    )
  ).rows;
  const byDay = (
    await tx.query<{ day: string; threads: number; tokens: number }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::bigint AS threads, coalesce(sum(tokens_used), 0)::bigint AS tokens
         FROM thread_store.threads WHERE tenant_id = $1 GROUP BY 1 ORDER BY 1`,
      [tenantId],
    )
  ).rows;
  return {
    tenantId,
    threads: Number(totals.threads),
    archived: Number(totals.archived),
    forks: Number(totals.forks),
    subagents: Number(totals.subagents),
    items: Number(items.items),
    bytes: Number(items.bytes),
    tokens: Number(totals.tokens),
    byModel: byModel.map((r) => ({ modelProvider: r.model_provider, model: r.model, threads: Number(r.threads), tokens: Number(r.tokens) })),
    byDay: byDay.map((r) => ({ day: r.day, threads: Number(r.threads), tokens: Number(r.tokens) })),
  };
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('per-tenant totals: threads, items, tokens by model/provider and by day')
    .requiredOption('--tenant <tenant>', TENANT_HELP)
    .option('--json', 'print the statistics as JSON')
    .action(async (opts: { tenant?: string; json?: boolean }, command: Command) => {
      const tenantId = resolveTenant(opts.tenant);
      const service = await openCliStore(globalOptions(command));
      try {
        const stats = await service.database.transaction((tx) => tenantStats(tx, tenantId), { tenantId, operation: 'stats' });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(stats)}\n`);
          return;
        }
        let out = `tenant ${stats.tenantId}\n`;
        out += `threads: ${stats.threads} (${stats.archived} archived, ${stats.forks} forks, ${stats.subagents} sub-agents)\n`;
        out += `items:   ${stats.items} (${formatBytes(stats.bytes)})\n`;
        out += `tokens:  ${stats.tokens}\n\n`;
        out += renderTable(['PROVIDER', 'MODEL', 'THREADS', 'TOKENS'], stats.byModel.map((r) => [r.modelProvider, r.model ?? '', String(r.threads), String(r.tokens)]));
        out += '\n';
        out += renderTable(['DAY (UTC)', 'THREADS', 'TOKENS'], stats.byDay.map((r) => [r.day, String(r.threads), String(r.tokens)]));
        process.stdout.write(out);
      } finally {
        await service.close();
      }
    });
}
