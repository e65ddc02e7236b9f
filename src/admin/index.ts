// The operator modules on a database handle, for the CLI and the tests: the tenant registry
// (create/list/resolve, name ↔ UUID), quotas and usage, purge, the owner/application role setup and
// its security report. The public API of these — taking the service — is src/api/admin.ts
// (`pg-thread-store/admin`).
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
