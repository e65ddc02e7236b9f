// Owns `thread-store list`: Codex's thread/list filters (archived, sources, providers, cwds, search
// term, sort key, page size, cursor) over one tenant, as a table or as `{data, nextCursor}` JSON.
import type { Command } from 'commander';
import { InvalidRequestError } from '../../model/errors.js';
import type { ListThreadsParams, ThreadSortKey } from '../../model/params.js';
import { globalOptions, openCliStoreFor } from '../connect.js';
import { cell, renderTable } from '../format/table.js';
import { sourceLabel, toCliThread } from '../format/threadJson.js';
import { TENANT_HELP } from './tenant.js';

interface ListOptions {
  tenant?: string;
  archived?: boolean;
  source?: string[];
  provider?: string[];
  cwd?: string[];
  search?: string;
  sort?: string;
  asc?: boolean;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

const SORTS: Record<string, ThreadSortKey> = { created: 'created_at', updated: 'updated_at', recency: 'recency_at' };

function splitList(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export function listParams(opts: ListOptions): ListThreadsParams {
  const sortKey = SORTS[opts.sort ?? 'created'];
  if (!sortKey) throw new InvalidRequestError(`--sort must be created, updated or recency (got ${JSON.stringify(opts.sort)})`, { path: '--sort' });
  const limit = opts.limit === undefined ? 25 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidRequestError('--limit must be an integer from 1 to 1000', { path: '--limit' });
  const params: ListThreadsParams = { sortKey, sortDirection: opts.asc ? 'asc' : 'desc', pageSize: limit, archived: opts.archived ?? false };
  const sources = splitList(opts.source);
  if (sources?.length) params.allowedSources = sources;
  const providers = splitList(opts.provider);
  if (providers?.length) params.modelProviders = providers;
  if (opts.cwd) params.cwdFilters = opts.cwd;
  if (opts.search) params.searchTerm = opts.search;
  if (opts.cursor) params.cursor = opts.cursor;
  return params;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description("list a tenant's threads with Codex's thread/list filters (threads without a preview are hidden, as in Codex)")
    .requiredOption('--tenant <tenant>', TENANT_HELP)
    .option('--archived', 'list archived threads instead of active ones')
    .option('--source <source...>', 'only these sources (cli, vscode, exec, mcp, ...; repeat or comma-separate)')
    .option('--provider <provider...>', 'only these model providers')
    .option('--cwd <dir...>', 'only threads whose cwd is exactly one of these')
    .option('--search <text>', 'case-sensitive substring of name, title or preview')
    .option('--sort <key>', 'created | updated | recency', 'created')
    .option('--asc', 'oldest first')
    .option('--limit <n>', 'page size (1-1000)', '25')
    .option('--cursor <cursor>', 'continue after a previous page (its nextCursor)')
    .option('--json', "print {data, nextCursor} as Codex's thread/list answers it, plus fields of ours")
    .action(async (opts: ListOptions, command: Command) => {
      const params = listParams(opts);
      const { service, tenant } = await openCliStoreFor(globalOptions(command), opts.tenant);
      try {
        const page = await service.forTenant(tenant.id).listThreads(params);
        const data = page.items.map((t) => toCliThread(t, 'list'));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ data, nextCursor: page.nextCursor })}\n`);
          return;
        }
        const key = params.sortKey === 'created_at' ? 'createdAt' : params.sortKey === 'updated_at' ? 'updatedAt' : 'recencyAt';
        const rows = data.map((t) => [t.id, iso(t[key]), t.modelProvider, t.model ?? '', sourceLabel(t.source), cell(t.name ?? t.preview, 60)]);
        process.stdout.write(renderTable(['ID', key === 'createdAt' ? 'CREATED' : key === 'updatedAt' ? 'UPDATED' : 'RECENCY', 'PROVIDER', 'MODEL', 'SOURCE', 'NAME / PREVIEW'], rows));
        process.stdout.write(`${data.length} thread(s)${page.nextCursor ? `; next page: --cursor ${page.nextCursor}` : ''}\n`);
      } finally {
        await service.close();
      }
    });
}
