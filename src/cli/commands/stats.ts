// Owns `thread-store stats`: a tenant's analytics as the analytics views report them (migration
// 0004, src/analytics): totals, one row per UTC day (threads created, active threads, items,
// tokens from token_count events on the day they were spent, compactions), usage by
// model/provider and by source. One tenant transaction, so RLS scopes it and it is one snapshot.
import type { Command } from 'commander';
import { tenantReport } from '../../analytics/index.js';
import { globalOptions, openCliStoreFor } from '../connect.js';
import { formatBytes, renderTable } from '../format/table.js';
import { TENANT_HELP } from './tenant.js';

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('per-tenant totals: threads, items, tokens by model/provider, by source and by day (from the analytics views)')
    .requiredOption('--tenant <tenant>', TENANT_HELP)
    .option('--from <day>', 'first UTC day (YYYY-MM-DD) of the per-day part')
    .option('--to <day>', 'last UTC day (YYYY-MM-DD) of the per-day part')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { tenant?: string; from?: string; to?: string; json?: boolean }, command: Command) => {
      const { service, tenant } = await openCliStoreFor(globalOptions(command), opts.tenant);
      try {
        const report = await tenantReport(service.database, tenant.id, {
          ...(opts.from ? { from: opts.from } : {}),
          ...(opts.to ? { to: opts.to } : {}),
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const o = report.overview;
        let out = `tenant ${report.tenantId}\n`;
        out += `threads: ${o.threads} (${o.archivedThreads} archived, ${o.forks} forks, ${o.subagents} sub-agents, ${o.compactions} compactions)\n`;
        out += `items:   ${o.items} (${formatBytes(o.bytes)})\n`;
        out += `tokens:  ${o.tokensUsed} (sum of the threads' totals; a fork's includes its inherited history)\n\n`;
        out += renderTable(
          ['PROVIDER', 'MODEL', 'THREADS', 'ITEMS', 'TOKENS'],
          report.byModel.map((r) => [r.modelProvider, r.model ?? '', String(r.threads), String(r.items), String(r.tokensUsed)]),
        );
        out += '\n';
        out += renderTable(
          ['SOURCE', 'ORIGINATOR', 'THREADS', 'FORKS', 'SUB-AGENTS'],
          report.bySource.map((r) => [r.source, r.originator ?? '', String(r.threads), String(r.forks), String(r.subagents)]),
        );
        out += '\n';
        out += renderTable(
          ['DAY (UTC)', 'CREATED', 'ACTIVE', 'TURNS', 'ITEMS', 'TOKENS', 'COMPACTIONS'],
          report.days.map((d) => [d.day, String(d.threadsCreated), String(d.activeThreads), String(d.turnsStarted), String(d.items), String(d.totalTokens), String(d.compactions)]),
        );
        process.stdout.write(out);
      } finally {
        await service.close();
      }
    });
}
