// Owns `thread-store purge <tenant>`: delete every row of one tenant in batches (each batch its own
// transaction in the tenant's RLS context), resumable — run it again after an interruption. Asks
// for --yes because nothing can bring the rows back; export first (`thread-store export`) to keep
// a copy.
import { InvalidArgumentError, type Command } from 'commander';
import { purgeTenant, resolveTenantRef } from '../../admin/index.js';
import { globalOptions, openCliDatabase } from '../connect.js';
import { describeTenant, strandedDefaultIdNote, tenantArg } from './tenant.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function registerPurge(program: Command): void {
  program
    .command('purge <tenant>')
    .description('delete ALL threads and items of a tenant (name or id, resolved like --tenant), in batches; resumable; succeeds only when nothing of the tenant is left')
    .option('--yes', 'really delete (required)')
    .option('--batch-size <n>', 'rows per transaction', positiveInt, 5000)
    .option('--keep-tenant', 'keep the tenant registered (name and quotas)')
    .option('--json', 'print the result as JSON')
    .action(async (arg: string, opts: { yes?: boolean; batchSize: number; keepTenant?: boolean; json?: boolean }, command: Command) => {
      if (!opts.yes) command.error(`purge deletes every row of tenant ${arg} and cannot be undone; pass --yes (export it first to keep a copy)`, { exitCode: 2 });
      const db = await openCliDatabase(globalOptions(command));
      try {
        // The same rule as every --tenant: a registered name is its registered id, an unregistered
        // name its default id, a bare id that id (threads can exist without a tenants row).
        const ref = await resolveTenantRef(db, tenantArg(arg, '<tenant>'));
        const tenantId = ref.id;
        const result = await purgeTenant(db, tenantId, {
          batchSize: opts.batchSize,
          keepTenant: opts.keepTenant ?? false,
          onProgress: (p) => {
            if (!opts.json) process.stderr.write(`\r${p.table}: ${p.deleted} rows deleted`.padEnd(60));
          },
        });
        if (!opts.json) process.stderr.write('\n');
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          const parts = Object.entries(result.deleted).map(([t, n]) => `${t}=${n}`);
          process.stdout.write(`purged tenant ${describeTenant(ref)}: ${parts.join(' ')} (${result.batches} batches); nothing of it is left\n`);
        }
        const note = await strandedDefaultIdNote(db, ref);
        if (note) process.stderr.write(`${note}\n`);
      } finally {
        await db.close();
      }
    });
}
