// Owns how the CLI names a tenant: a UUID as is, or any other text mapped to its deterministic
// UUIDv5 (the same `tenantIdForName` the tenant registry uses, so `--tenant acme` is always the
// same tenant, registered or not: no tenants table is needed).
import { InvalidRequestError } from '../../model/errors.js';
import { isUuid } from '../../model/ids.js';
import { tenantIdForName } from '../../tenancy/tenants.js';

export const TENANT_HELP = 'tenant: a UUID, or a name, which maps to a fixed UUIDv5 of the name (no tenants table needed), e.g. --tenant acme';

export function resolveTenant(value: string | undefined): string {
  const text = value?.trim() ?? '';
  if (text === '') throw new InvalidRequestError('a tenant is required (--tenant <uuid|name>)', { path: '--tenant' });
  return isUuid(text) ? text.toLowerCase() : tenantIdForName(text);
}
