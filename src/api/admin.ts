// `pg-thread-store/admin`: what an operator does — migrate, set up the owner and application roles
// and check row-level security, register tenants, set quotas, read usage, purge a tenant. Every call
// takes the service openThreadStore returned (the same handle the application uses), except the ones
// that run before there is one (migrate, schemaStatus, setupRoles), which take where the database is.
// On the in-memory service (`pg-thread-store/memory`) quotas, usage and purge work; what needs
// PostgreSQL is Unsupported.
import { openDatabase, databaseOf, type OpenThreadStoreOptions, type ThreadStoreService } from '../store/openThreadStore.js';
import { InMemoryThreadStoreService } from '../store/memory/InMemoryThreadStore.js';
import { migrate as migrateDatabase, schemaStatus as readSchemaStatus, type MigrationResult, type SchemaStatus } from '../db/migrate.js';
import { toThreadStoreError } from '../model/errors.js';
import * as tenants from '../admin/tenants.js';
import * as roles from '../admin/roles.js';
import * as purge from '../admin/purge.js';
import type { Database } from '../db/database.js';

export { APP_ROLE } from '../db/roles.js';
export { DEFAULT_OWNER_ROLE, type LoginSpec, type RoleFacts, type SecurityReport, type SetupRolesOptions, type SetupRolesResult } from '../admin/roles.js';
export { tenantIdForName, type CreateTenantParams, type Tenant, type TenantRef, type TenantUsage } from '../admin/tenants.js';
export type { TenantQuota } from '../admin/quota.js';
export type { PurgeOptions, PurgeProgress, PurgeResult, PurgeTable } from '../admin/purge.js';
export type { MigrationResult, SchemaStatus } from '../db/migrate.js';
export type { ThreadStoreService } from '../store/openThreadStore.js';

/** Where a database is, for the calls that run before a service exists. Default: DATABASE_URL, else the embedded one. */
export type DatabaseTarget = Pick<OpenThreadStoreOptions, 'url' | 'pool' | 'dataDir'>;

async function withDatabase<T>(target: DatabaseTarget, operation: string, fn: (db: Database) => Promise<T>): Promise<T> {
  try {
    const db = await openDatabase(target);
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  } catch (error) {
    throw toThreadStoreError(error, operation);
  }
}

async function call<T>(operation: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toThreadStoreError(error, operation);
  }
}

/** Apply pending migrations (idempotent; concurrent callers wait for each other). Needs the owner role. */
export function migrate(target: DatabaseTarget = {}): Promise<MigrationResult> {
  return withDatabase(target, 'migrate', (db) => migrateDatabase(db));
}

/** Which migrations are applied and which are pending. */
export function schemaStatus(target: DatabaseTarget = {}): Promise<SchemaStatus> {
  return withDatabase(target, 'schemaStatus', (db) => readSchemaStatus(db));
}

/** Create (or repair) the owner and application roles and their logins (see SECURITY.md). Needs a superuser. */
export function setupRoles(target: DatabaseTarget, options: roles.SetupRolesOptions = {}): Promise<roles.SetupRolesResult> {
  return withDatabase(target, 'setupRoles', (db) => roles.setupRoles(db, options));
}

/** Whether row-level security is airtight for the application role, from the catalog. */
export function securityReport(service: ThreadStoreService): Promise<roles.SecurityReport> {
  return call('securityReport', () => roles.securityReport(databaseOf(service, 'securityReport')));
}

/** Register a tenant (a name, its UUIDv5 or a given id, optional quotas). Conflict when taken. */
export function createTenant(service: ThreadStoreService, params: tenants.CreateTenantParams): Promise<tenants.Tenant> {
  return call('createTenant', () => tenants.createTenant(databaseOf(service, 'createTenant'), params));
}

/** The tenant's registry row, or null when it was never registered. */
export function getTenant(service: ThreadStoreService, tenantId: string): Promise<tenants.Tenant | null> {
  return call('getTenant', () => tenants.getTenant(databaseOf(service, 'getTenant'), tenantId));
}

/** Every registered tenant (the login must own the tables, or be a superuser / BYPASSRLS). */
export function listTenants(service: ThreadStoreService): Promise<tenants.Tenant[]> {
  return call('listTenants', () => tenants.listTenants(databaseOf(service, 'listTenants')));
}

/** The one rule from a tenant reference (a UUID, a registered name, any other name) to its id. */
export function resolveTenantRef(service: ThreadStoreService, ref: string): Promise<tenants.TenantRef> {
  return call('resolveTenantRef', () => tenants.resolveTenantRef(databaseOf(service, 'resolveTenantRef'), ref));
}

/** Set a tenant's quotas (null lifts one; absent keeps it). */
export function setTenantQuota(service: ThreadStoreService, tenantId: string, quota: Partial<{ maxThreads: number | null; maxItemBytes: number | null }>): Promise<{ maxThreads: number | null; maxItemBytes: number | null }> {
  return call('setTenantQuota', async () => {
    if (service instanceof InMemoryThreadStoreService) return service.setTenantQuota(tenantId, tenants.parseQuotaPatch(quota));
    const tenant = await tenants.setTenantQuota(databaseOf(service, 'setTenantQuota'), tenantId, quota);
    return { maxThreads: tenant.maxThreads, maxItemBytes: tenant.maxItemBytes };
  });
}

/** What a tenant stores, and its quotas. */
export function tenantUsage(service: ThreadStoreService, tenantId: string): Promise<tenants.TenantUsage> {
  return call('tenantUsage', async () => {
    if (service instanceof InMemoryThreadStoreService) return { tenantId: tenants.parseTenantId(tenantId), ...service.tenantUsage(tenantId) };
    return tenants.tenantUsage(databaseOf(service, 'tenantUsage'), tenantId);
  });
}

/** Delete every row of a tenant, in batches (resumable); `complete` only when nothing is left. */
export function purgeTenant(service: ThreadStoreService, tenantId: string, options: purge.PurgeOptions = {}): Promise<purge.PurgeResult> {
  return call('purgeTenant', async () => {
    if (service instanceof InMemoryThreadStoreService) {
      const { threads } = service.purgeTenant(tenantId, { keepTenant: options.keepTenant === true });
      const deleted = { thread_writers: 0, threads, thread_items: 0, thread_checkpoints: 0, thread_spawn_edges: 0, tenant_clocks: 0, tenants: 0 };
      return { tenantId: tenants.parseTenantId(tenantId), deleted, batches: 1, complete: true };
    }
    return purge.purgeTenant(databaseOf(service, 'purgeTenant'), tenantId, options);
  });
}
