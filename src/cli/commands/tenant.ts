// Owns how the CLI names a tenant. Every command that takes one (`--tenant` of import, export,
// list, show, stats; `tenants show|quota`; `purge`) resolves it with the one rule of src/tenancy
// (resolveTenantRef): a UUID as is, a registered name through the registry (`tenants create acme
// --id <uuid>` → that uuid), any other name as its default id (a fixed UUIDv5 of the name, so
// `--tenant acme` works with no tenants table). Here: the option's help, the required-value check
// and how a resolved tenant is shown.
import { InvalidRequestError } from '../../model/errors.js';
import type { Database } from '../../db/database.js';
import { tenantIdForName, tenantUsage, type TenantRef } from '../../admin/index.js';

export const TENANT_HELP =
  'tenant: a UUID, or a name — a registered name (`tenants create`) means its registered id, any other name a fixed UUIDv5 of the name (no tenants table needed), e.g. --tenant acme';

/** The tenant text of an option or argument; InvalidRequest when empty. */
export function tenantArg(value: string | undefined, path = '--tenant'): string {
  const text = value?.trim() ?? '';
  if (text === '') throw new InvalidRequestError('a tenant is required (--tenant <uuid|name>)', { path });
  return text;
}

/** `acme (0c5f…)`, or the bare id when there is no name; notes a tenant that is not registered. */
export function describeTenant(ref: TenantRef): string {
  const who = ref.name ? `${ref.name} (${ref.id})` : ref.id;
  return ref.tenant ? who : `${who}, not registered`;
}

/**
 * Threads stored under a registered name's default id (UUIDv5 of the name) when the name is
 * registered with another id: earlier versions sent `--tenant <name>` there without asking the
 * registry. Returns a note for the operator, or null.
 */
export async function strandedDefaultIdNote(db: Database, ref: TenantRef): Promise<string | null> {
  if (ref.via !== 'registry' || !ref.name) return null;
  const defaultId = tenantIdForName(ref.name);
  if (defaultId === ref.id) return null;
  const usage = await tenantUsage(db, defaultId);
  if (usage.threads === 0) return null;
  return `note: ${usage.threads} thread(s) are stored under ${defaultId}, the default id of the name "${ref.name}", not under its registered id ${ref.id} (written by an earlier version that did not look names up); see them with --tenant ${defaultId}, remove them with \`thread-store purge ${defaultId} --yes\``;
}
