// Owns how CLI commands reach the database from the global options, and resolving a command's
// tenant with the login's own rights before the store drops to the application role.
import type { Command } from 'commander';
import type { Database } from '../db/database.js';
import { openDatabase, openPostgresService, type PostgresThreadStoreService } from '../store/openThreadStore.js';
import { APP_ROLE, canSetRole, resolveTenantRef, type TenantRef } from '../admin/index.js';
import type { GlobalOptions } from './main.js';
import { tenantArg } from './commands/tenant.js';

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

function target(options: GlobalOptions): { url?: string; dataDir?: string } {
  const url = options.databaseUrl ?? process.env.DATABASE_URL;
  return url ? { url } : { dataDir: options.dataDir ?? './.thread-store' };
}

export function openCliDatabase(options: GlobalOptions): Promise<Database> {
  return openDatabase(target(options));
}

export function openCliStore(options: GlobalOptions): Promise<PostgresThreadStoreService> {
  return openPostgresService(target(options));
}

/**
 * A store plus the command's tenant. The tenant is resolved first, as the login itself: an
 * operator's login may read the tenant registry (so a registered name resolves to its registered
 * id), which the application role cannot under RLS. Then every connection switches to the
 * application role, exactly as openThreadStore does by default.
 */
export async function openCliStoreFor(options: GlobalOptions, tenant: string | undefined): Promise<{ service: PostgresThreadStoreService; tenant: TenantRef }> {
  const ref = tenantArg(tenant);
  const service = await openPostgresService({ ...target(options), role: null });
  try {
    const resolved = await resolveTenantRef(service.database, ref);
    if (await canSetRole(service.database, APP_ROLE)) await service.database.useRole(APP_ROLE);
    return { service, tenant: resolved };
  } catch (error) {
    await service.close();
    throw error;
  }
}
