// Owns the public surface of tenant operations: the registry (create/list/resolve, name ↔ UUID),
// quotas and usage, purge, the owner/application role setup and its security report, and the
// schema gate used by openThreadStore. Export of a tenant's threads is `thread-store export`
// (src/codex), not here.
export {
  canListTenants,
  createTenant,
  getTenant,
  listTenants,
  resolveTenant,
  resolveTenantRef,
  setTenantQuota,
  tenantIdForName,
  tenantNameSchema,
  tenantUsage,
  type CreateTenantParams,
  type Tenant,
  type TenantRef,
  type TenantUsage,
} from './tenants.js';
export { readQuota, readUsage, type TenantQuota, type TenantUsageNumbers } from './quota.js';
export { purgeTenant, type PurgeOptions, type PurgeProgress, type PurgeResult, type PurgeTable } from './purge.js';
export { APP_ROLE, canSetRole } from '../db/roles.js';
export { ensureSchemaReady } from '../db/migrate.js';
export {
  DEFAULT_OWNER_ROLE,
  securityReport,
  setupRoles,
  type LoginSpec,
  type RoleFacts,
  type SecurityReport,
  type SetupRolesOptions,
  type SetupRolesResult,
} from './roles.js';
