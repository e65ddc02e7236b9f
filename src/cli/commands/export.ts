// Owns `thread-store export --tenant <id> --out <CODEX_HOME> [--thread <id>...]`: write a tenant's
// threads (or some, with the fork bases they need) as a CODEX_HOME Codex lists, reads and resumes as
// it did the original: rollouts, session_index.jsonl, and Codex's SQLite state.
import type { Command } from 'commander';
import { exportCodexHome, type ExportSummary } from '../../codex/export/index.js';
import { globalOptions, openCliStoreFor } from '../connect.js';
import { createProgress, transferLine } from '../format/progress.js';
import { formatBytes } from '../format/table.js';
import { TENANT_HELP } from './tenant.js';

interface ExportCommandOptions {
  tenant?: string;
  out: string;
  thread?: string[];
  overwrite?: boolean;
  sidecar?: boolean;
  sqlite?: boolean;
  json?: boolean;
}

function humanSummary(s: ExportSummary): string {
  const lines = [
    `exported tenant ${s.tenantId} to ${s.outDir}`,
    `threads: ${s.threads}${s.basesAdded ? ` (${s.basesAdded} fork bases added)` : ''}, files: ${s.files}, lines: ${s.lines}, ${formatBytes(s.bytes)}, names: ${s.names}`,
  ];
  if (s.byteOffsetsRewritten) lines.push(`history_base.end_byte_offset recomputed in ${s.byteOffsetsRewritten} file(s)`);
  if (s.sqlite) {
    const how = (created: boolean) => (created ? 'written' : 'updated');
    lines.push(`Codex SQLite: ${s.sqlite.stateDb} ${how(s.sqlite.stateDbCreated)}, ${s.sqlite.historyDb} ${how(s.sqlite.historyDbCreated)} (${s.sqlite.turns} turns, ${s.sqlite.items} items)`);
  }
  for (const p of s.problems) lines.push(`problem: ${p.threadId}: ${p.reason}`);
  lines.push(`took ${(s.durationMs / 1000).toFixed(1)} s`);
  return lines.join('\n') + '\n';
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("write threads back as a CODEX_HOME (sessions/, archived_sessions/, session_index.jsonl, Codex's state_5.sqlite and thread_history_1.sqlite) that Codex lists, reads and resumes as it did the original")
    .requiredOption('--tenant <tenant>', TENANT_HELP)
    .requiredOption('--out <dir>', 'the CODEX_HOME to write (created when missing)')
    .option('--thread <id...>', 'only these threads (plus the fork bases they read through)')
    .option('--overwrite', 'replace rollout files that already exist')
    .option('--no-sidecar', `do not write thread_store_metadata.jsonl (our record of the thread facts; read back by import)`)
    .option('--no-sqlite', "do not write Codex's state_5.sqlite / thread_history_1.sqlite (Codex then rebuilds its index from the rollouts and reads turns only after thread/resume)")
    .option('--json', 'print the summary as JSON')
    .action(async (opts: ExportCommandOptions, command: Command) => {
      const { service, tenant } = await openCliStoreFor(globalOptions(command), opts.tenant);
      const progress = createProgress();
      try {
        const summary = await exportCodexHome({
          store: service.forTenant(tenant.id),
          outDir: opts.out,
          ...(opts.thread ? { threadIds: opts.thread } : {}),
          overwrite: opts.overwrite ?? false,
          sidecar: opts.sidecar ?? true,
          sqlite: opts.sqlite ?? true,
          onProgress: (p) => progress.update(transferLine('export', p)),
        });
        progress.done();
        process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : humanSummary(summary));
        // main() turns a thrown error into exit code 1.
        if (summary.problems.length > 0) throw new Error(`${summary.problems.length} thread(s) not exported`);
        if (summary.interrupted) throw new Error('export interrupted; run it again with --overwrite');
      } finally {
        await service.close();
      }
    });
}
