// Owns `thread-store import <CODEX_HOME> --tenant <id>`: run the importer with progress on a TTY,
// problems (file:line: reason) on stderr as they are found, and a summary at the end. Exit code 1
// when a thread could not be imported (or the run was interrupted; running it again resumes).
import type { Command } from 'commander';
import { importCodexHome, type ImportProblem, type ImportSummary } from '../../codex/import/index.js';
import { globalOptions, openCliStoreFor } from '../connect.js';
import { createProgress, transferLine } from '../format/progress.js';
import { formatBytes, renderTable } from '../format/table.js';
import { describeTenant, TENANT_HELP } from './tenant.js';
import type { TenantRef } from '../../admin/index.js';

interface ImportCommandOptions {
  tenant?: string;
  json?: boolean;
  stateDb?: boolean;
  sqliteHome?: string;
  concurrency?: string;
}

export function formatProblem(p: ImportProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}` : p.file;
  const label = p.kind === 'line' ? 'skipped line' : p.kind === 'file' ? 'skipped file' : p.kind === 'thread' ? 'thread' : 'warning';
  return `${where}: ${label}: ${p.reason}`;
}

function humanSummary(s: ImportSummary, tenant: TenantRef): string {
  const lines = [
    `imported ${s.codexHome} into tenant ${describeTenant(tenant)}${s.interrupted ? ' (INTERRUPTED: run again to resume)' : ''}`,
    `threads: ${s.threads.total} (${s.threads.imported} new, ${s.threads.updated} updated, ${s.threads.unchanged} unchanged, ${s.threads.conflict} conflicts, ${s.threads.failed} failed)`,
    `files:   ${s.files} read, ${formatBytes(s.bytes)}; ${s.skippedFiles} skipped`,
    `items:   ${s.items} (+${s.detachedItems} kept from revert tails)`,
    `skipped lines: ${s.skippedLines}`,
  ];
  const reasons = Object.entries(s.skippedLinesByReason);
  let out = lines.join('\n') + '\n';
  if (reasons.length > 0) out += renderTable(['REASON', 'LINES'], reasons.map(([r, n]) => [r, String(n)]));
  out += `state db: ${s.stateDb ?? 'none'}\n`;
  out += `took ${(s.durationMs / 1000).toFixed(1)} s\n`;
  return out;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import a CODEX_HOME (sessions/, archived_sessions/, session_index.jsonl, state_5.sqlite) into a tenant; idempotent and resumable')
    .argument('<codex-home>', 'the Codex home folder, e.g. ~/.codex')
    .requiredOption('--tenant <tenant>', TENANT_HELP)
    .option('--no-state-db', 'ignore state_5.sqlite (derive everything from the rollouts)')
    .option('--sqlite-home <dir>', 'folder of state_5.sqlite when not in the CODEX_HOME (Codex: CODEX_SQLITE_HOME)')
    .option('--concurrency <n>', 'threads imported at once')
    .option('--json', 'print the summary as JSON (problems included) instead of text')
    .action(async (codexHome: string, opts: ImportCommandOptions, command: Command) => {
      const { service, tenant } = await openCliStoreFor(globalOptions(command), opts.tenant);
      const controller = new AbortController();
      const onSigint = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSigint);
      const progress = createProgress();
      try {
        const summary = await importCodexHome({
          store: service.forTenant(tenant.id),
          codexHome,
          signal: controller.signal,
          ...(opts.stateDb === false ? { useStateDb: false } : {}),
          ...(opts.sqliteHome ? { sqliteHome: opts.sqliteHome } : {}),
          ...(opts.concurrency ? { concurrency: Math.max(1, Number.parseInt(opts.concurrency, 10) || 1) } : {}),
          onProgress: (p) => progress.update(transferLine('import', p)),
          onProblem: opts.json
            ? undefined
            : (p) => {
                progress.update('');
                process.stderr.write(`${formatProblem(p)}\n`);
              },
        }).catch((error: unknown) => {
          if (controller.signal.aborted) return null;
          throw error;
        });
        progress.done();
        if (summary === null) {
          throw new Error('import interrupted; run the same command again to resume');
        }
        process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : humanSummary(summary, tenant));
        // main() turns a thrown error into exit code 1 (process.exitCode would be overwritten by bin/).
        const notImported = summary.threads.failed + summary.threads.conflict;
        if (summary.interrupted) throw new Error('import interrupted; run the same command again to resume');
        if (notImported > 0) throw new Error(`${notImported} thread(s) not imported (see the messages above)`);
      } finally {
        process.off('SIGINT', onSigint);
        await service.close();
      }
    });
}
