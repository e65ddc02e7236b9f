// Owns `thread-store tenants …`: register tenants (name ↔ UUID), list them, show one tenant's usage
// against its quotas, set or remove quotas, and print a name's default id. Listing needs the owner
// role (or a superuser); everything else runs in the tenant's own RLS transaction. Exporting a
// tenant's threads is `thread-store export`; deleting them is `thread-store purge`.
import { InvalidArgumentError, type Command } from 'commander';
import { createTenant, listTenants, resolveTenantRef, setTenantQuota, tenantIdForName, tenantUsage, type Tenant } from '../../admin/index.js';
import { globalOptions, openCliDatabase } from '../connect.js';
import { describeTenant, strandedDefaultIdNote, tenantArg } from './tenant.js';

/**
 * `none` removes a quota; otherwise a non-negative integer. Returned as the string 'none' because
 * commander turns a parser's null into '' (see quotaValue for the conversion).
 */
export function parseQuotaOption(value: string): number | 'none' {
  if (value === 'none') return 'none';
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a non-negative integer or "none"');
  return Number(value);
}

type QuotaOption = number | 'none' | undefined;

/** Options object fragment: absent stays absent, 'none' becomes null (no quota). */
function quotaFields(opts: { maxThreads?: QuotaOption; maxItemBytes?: QuotaOption }): { maxThreads?: number | null; maxItemBytes?: number | null } {
  const value = (v: number | 'none') => (v === 'none' ? null : v);
  return {
    ...(opts.maxThreads !== undefined ? { maxThreads: value(opts.maxThreads) } : {}),
    ...(opts.maxItemBytes !== undefined ? { maxItemBytes: value(opts.maxItemBytes) } : {}),
  };
}

const show = (v: number | null) => (v === null ? 'unlimited' : String(v));

function tenantLine(t: Tenant): string {
  return `${t.id}  ${(t.name ?? '(no name)').padEnd(24)}  max threads: ${show(t.maxThreads)}, max item bytes: ${show(t.maxItemBytes)}`;
}

export function registerTenants(program: Command): void {
  const tenants = program.command('tenants').description('register tenants, list them, show usage, set quotas');

  tenants
    .command('create <name>')
    .description("register a tenant (its id defaults to a UUIDv5 of the name, see `tenants id`)")
    .option('--id <uuid>', 'use this id instead of the name-derived one')
    .option('--max-threads <n>', 'quota: most threads stored ("none" = unlimited)', parseQuotaOption)
    .option('--max-item-bytes <n>', 'quota: most item bytes stored ("none" = unlimited)', parseQuotaOption)
    .option('--json', 'print the tenant as JSON')
    .action(async (name: string, opts: { id?: string; maxThreads?: QuotaOption; maxItemBytes?: QuotaOption; json?: boolean }, command: Command) => {
      const db = await openCliDatabase(globalOptions(command));
      try {
        const tenant = await createTenant(db, { name, ...(opts.id !== undefined ? { id: opts.id } : {}), ...quotaFields(opts) });
        process.stdout.write(opts.json ? `${JSON.stringify(tenant)}\n` : `${tenantLine(tenant)}\n`);
      } finally {
        await db.close();
      }
    });

  tenants
    .command('list')
    .description('list every registered tenant (needs the owner role or a superuser)')
    .option('--usage', 'add threads, items and bytes stored per tenant')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { usage?: boolean; json?: boolean }, command: Command) => {
      const db = await openCliDatabase(globalOptions(command));
      try {
        for (const tenant of await listTenants(db)) {
          const usage = opts.usage ? await tenantUsage(db, tenant.id) : null;
          if (opts.json) process.stdout.write(`${JSON.stringify(usage ? { ...tenant, threads: usage.threads, items: usage.items, itemBytes: usage.itemBytes } : tenant)}\n`);
          else process.stdout.write(`${tenantLine(tenant)}${usage ? `  threads: ${usage.threads}, items: ${usage.items}, bytes: ${usage.itemBytes}` : ''}\n`);
        }
      } finally {
        await db.close();
      }
    });

  tenants
    .command('show <tenant>')
    .description('one tenant (name or id, resolved like --tenant): quotas and what it stores')
    .option('--json', 'print as JSON')
    .action(async (arg: string, opts: { json?: boolean }, command: Command) => {
      const db = await openCliDatabase(globalOptions(command));
      try {
        const ref = await resolveTenantRef(db, tenantArg(arg, '<tenant>'));
        const usage = await tenantUsage(db, ref.id);
        const tenant = ref.tenant;
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...(tenant ?? { id: ref.id, name: ref.name }), registered: tenant !== null, ...usage })}\n`);
        else {
          const head = tenant ? tenantLine(tenant) : `${ref.id}  ${describeTenant(ref)}`;
          process.stdout.write(
            `${head}\nthreads: ${usage.threads}${usage.maxThreads !== null ? ` of ${usage.maxThreads}` : ''}, items: ${usage.items}, item bytes: ${usage.itemBytes}${usage.maxItemBytes !== null ? ` of ${usage.maxItemBytes}` : ''}\n`,
          );
        }
        const note = await strandedDefaultIdNote(db, ref);
        if (note) process.stderr.write(`${note}\n`);
      } finally {
        await db.close();
      }
    });

  tenants
    .command('quota <tenant>')
    .description('set ("none" removes) the quotas of a tenant (name or id, resolved like --tenant; an unregistered name is registered); exceeding one is ResourceExhausted')
    .option('--max-threads <n>', 'most threads stored', parseQuotaOption)
    .option('--max-item-bytes <n>', 'most item bytes stored', parseQuotaOption)
    .option('--json', 'print the tenant as JSON')
    .action(async (arg: string, opts: { maxThreads?: QuotaOption; maxItemBytes?: QuotaOption; json?: boolean }, command: Command) => {
      if (opts.maxThreads === undefined && opts.maxItemBytes === undefined) command.error('give --max-threads and/or --max-item-bytes', { exitCode: 2 });
      const db = await openCliDatabase(globalOptions(command));
      try {
        const ref = await resolveTenantRef(db, tenantArg(arg, '<tenant>'));
        // A quota for an unregistered name registers the name (at its default id), so the quota
        // and the name stay together; a bare id gets a nameless row.
        const updated =
          ref.tenant === null && ref.via === 'default-id' && ref.name !== null
            ? await createTenant(db, { name: ref.name, ...quotaFields(opts) })
            : await setTenantQuota(db, ref.id, quotaFields(opts));
        process.stdout.write(opts.json ? `${JSON.stringify(updated)}\n` : `${tenantLine(updated)}\n`);
      } finally {
        await db.close();
      }
    });

  tenants
    .command('id <name>')
    .description('print the default id of a tenant name (UUIDv5; no database needed): what --tenant <name> means while the name is not registered with another id')
    .action((name: string) => {
      process.stdout.write(`${tenantIdForName(name)}\n`);
    });
}
