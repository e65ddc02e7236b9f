// Owns `thread-store show <thread-id>`: one thread's metadata and its turns with their statuses
// (completed / interrupted / failed / inProgress) and items, fork history included — with `--json`,
// `{thread}` exactly as Codex's thread/read (includeTurns) answers it, plus fields of ours.
import type { Command } from 'commander';
import { codexTurns } from '../../codex/appServer.js';
import { threadIdSchema } from '../../model/ids.js';
import { parseOrThrow } from '../../model/validate.js';
import { globalOptions, openCliStoreFor } from '../connect.js';
import { cell, renderTable } from '../format/table.js';
import { sourceLabel, toCliThread } from '../format/threadJson.js';
import { TENANT_HELP } from './tenant.js';

function when(seconds: number | null): string {
  return seconds === null ? '' : new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

export function registerShow(program: Command): void {
  program
    .command('show')
    .description("one thread's metadata and its turns with statuses")
    .argument('<thread-id>', 'the thread id (UUID)')
    .requiredOption('--tenant <tenant>', TENANT_HELP)
    .option('--json', "print {thread} as Codex's thread/read answers it (turns with items), plus fields of ours")
    .action(async (id: string, opts: { tenant?: string; json?: boolean }, command: Command) => {
      const threadId = parseOrThrow(threadIdSchema, id, '<thread-id>');
      const { service, tenant } = await openCliStoreFor(globalOptions(command), opts.tenant);
      try {
        const store = service.forTenant(tenant.id);
        const stored = await store.readThread({ threadId, includeArchived: true });
        const history = await store.loadHistory({ threadId, includeArchived: true });
        const thread = toCliThread(stored, 'read', codexTurns(threadId, history.items));
        const turns = thread.turns;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ thread })}\n`);
          return;
        }
        const fields: [string, string][] = [
          ['id', thread.id],
          ['name', thread.name ?? ''],
          ['title', cell(thread.title, 100)],
          ['preview', cell(thread.preview, 100)],
          ['created', when(thread.createdAt)],
          ['updated', when(thread.updatedAt)],
          ['archived', thread.archived ? `yes (${when(thread.archivedAt)})` : 'no'],
          ['source', sourceLabel(thread.source)],
          ['provider', thread.modelProvider],
          ['model', `${thread.model ?? ''}${thread.reasoningEffort ? ` (${thread.reasoningEffort})` : ''}`],
          ['cwd', thread.cwd],
          ['git', thread.gitInfo ? [thread.gitInfo.branch, thread.gitInfo.sha?.slice(0, 12), thread.gitInfo.originUrl].filter(Boolean).join(' ') : ''],
          ['forked from', thread.forkedFromId ?? ''],
          ['parent', thread.parentThreadId ? `${thread.parentThreadId}${thread.agentNickname ? ` (agent ${thread.agentNickname})` : ''}` : ''],
          ['tokens', String(thread.tokensUsed)],
          ['items', String(thread.itemCount)],
        ];
        const width = Math.max(...fields.map(([k]) => k.length));
        process.stdout.write(fields.filter(([, v]) => v !== '').map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n\n');
        process.stdout.write(
          renderTable(
            ['#', 'TURN', 'STATUS', 'STARTED', 'DURATION', 'ITEMS', 'ERROR'],
            turns.map((t, i) => [String(i + 1), t.id, t.status, when(t.startedAt), t.durationMs === null ? '' : `${t.durationMs} ms`, String(t.items.length), cell(t.error?.message ?? '', 50)]),
          ),
        );
        process.stdout.write(`${turns.length} turn(s)\n`);
      } finally {
        await service.close();
      }
    });
}
