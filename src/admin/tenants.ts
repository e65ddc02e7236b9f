// Owns the tenant registry (thread_store.tenants): creating tenants (name ↔ UUID), looking them up,
// listing them, quotas and usage. Every write runs inside the tenant's own RLS transaction (the
// tenants policy only lets a transaction write the row of its own tenant), so the application role
// can register tenants too. Listing every tenant is an operator action: it needs the table owner's
// role (its tenant_isolation policy lets members of the owner role read, migration 0005), a
// superuser or BYPASSRLS.
//
// A tenant's default id is a UUIDv5 of its name, so a name maps to the same id on every database
// and `forTenant(tenantIdForName('acme'))` needs no lookup (and works under RLS, where a
// non-owner cannot search the registry by name). A name registered with another id
// (`--id <uuid>`) is found through the registry: resolveTenantRef is the one rule for both.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, InvalidRequestError } from '../model/errors.js';
import { isUuid, tenantIdSchema } from '../model/ids.js';
import { parseOrThrow } from '../model/validate.js';
import { quotaValueSchema as quotaValue, tenantQuotaPatchSchema } from '../model/params.js';
import type { Database, SqlExecutor } from '../db/database.js';
import { driverField } from '../db/errors.js';
import { eq, sql } from 'drizzle-orm';
import { run } from '../db/query.js';
import { tenants } from '../db/schema/threads.js';
import { readQuota, readUsage, type TenantQuota } from './quota.js';
import { textColumnProblem } from '../model/textGuard.js';

export interface Tenant {
  id: string;
  /** Null for a tenant that got a row only through setTenantQuota. */
  name: string | null;
  maxThreads: number | null;
  maxItemBytes: number | null;
  createdAt: string;
}

export interface TenantUsage {
  tenantId: string;
  threads: number;
  items: number;
  itemBytes: number;
  maxThreads: number | null;
  maxItemBytes: number | null;
}

export interface CreateTenantParams {
  name: string;
  /** Default: tenantIdForName(name). */
  id?: string;
  maxThreads?: number | null;
  maxItemBytes?: number | null;
}

/** Fixed namespace of tenant-name UUIDv5s (random once; never change it: ids derive from it). */
const TENANT_NAMESPACE = 'b3f1c1de-5d0e-4a53-9d1c-7c2f3e8a9b40';

/** The default id of the tenant called `name`: UUIDv5(TENANT_NAMESPACE, name). */
export function tenantIdForName(name: string): string {
  const ns = Buffer.from(TENANT_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}


export const tenantNameSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => s.trim() === s, 'must not start or end with whitespace')
  .refine((s) => !isUuid(s), 'must not be a UUID (names and ids would be ambiguous)')
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters')
  .refine((s) => textColumnProblem(s) === null, 'must be well-formed text');

const createTenantSchema = z.strictObject({
  name: tenantNameSchema,
  id: tenantIdSchema.optional(),
  maxThreads: quotaValue.optional(),
  maxItemBytes: quotaValue.optional(),
});

const quotaPatchSchema = tenantQuotaPatchSchema;

/** A tenants row as drizzle's query builder returns it (src/db/schema/threads.ts). */
type TenantRow = typeof tenants.$inferSelect;

function rowToTenant(row: TenantRow): Tenant {
  return { id: row.id, name: row.name, maxThreads: row.maxThreads, maxItemBytes: row.maxItemBytes, createdAt: row.createdAt.toISOString() };
}

function inTenant<T>(db: Database, tenantId: string, operation: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  return db.transaction(fn, { tenantId, operation });
}


/** Register a tenant. Conflict when the name or the id is taken. */
export async function createTenant(db: Database, input: CreateTenantParams): Promise<Tenant> {
  const params = parseOrThrow(createTenantSchema, input, 'tenant');
  const id = params.id ?? tenantIdForName(params.name);
  try {
    return await inTenant(db, id, 'createTenant', async (tx) => {
      const [row] = await run(tx, (db) =>
        db
          .insert(tenants)
          .values({ id, name: params.name, maxThreads: params.maxThreads ?? null, maxItemBytes: params.maxItemBytes ?? null })
          .returning(),
      );
      return rowToTenant(row!);
    });
  } catch (error) {
    // The unique index is checked across tenants (RLS does not hide index entries), so a taken
    // name is reported even though the other tenant's row is invisible here.
    if (error instanceof ConflictError) {
      const constraint = driverField(error, 'constraint');
      if (constraint === 'tenants_name_key') throw new ConflictError(`a tenant named "${params.name}" already exists`, { cause: error.cause });
      if (constraint === 'tenants_pkey') throw new ConflictError(`tenant ${id} already exists`, { cause: error.cause });
    }
    throw error;
  }
}

/** The tenant's row as its own transaction sees it, or null when it was never registered. */
export async function getTenant(db: Database, tenantId: string): Promise<Tenant | null> {
  const id = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
  return inTenant(db, id, 'getTenant', async (tx) => {
    const [row] = await run(tx, (db) => db.select().from(tenants).where(eq(tenants.id, id)));
    return row ? rowToTenant(row) : null;
  });
}

/** Whether this connection may see every tenants row (owner role member, superuser or BYPASSRLS). */
export async function canListTenants(db: Database): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ ok: boolean }>(
      `SELECT (r.rolsuper OR r.rolbypassrls OR pg_has_role(current_user, c.relowner, 'MEMBER')) AS ok
         FROM pg_roles r, pg_class c
        WHERE r.rolname = current_user AND c.oid = 'thread_store.tenants'::regclass`,
    );
    return rows[0]?.ok === true;
  }, { operation: 'listTenants' });
}

/** Every registered tenant, by name. Needs the owner role (see canListTenants). */
export async function listTenants(db: Database): Promise<Tenant[]> {
  if (!(await canListTenants(db))) {
    throw new InvalidRequestError('listing tenants needs the role that owns thread_store.tenants (or a superuser); the application role sees only the tenant of its transaction');
  }
  return db.transaction(async (tx) => {
    const rows = await run(tx, (db) => db.select().from(tenants).orderBy(sql`${tenants.name} NULLS LAST`, tenants.id));
    return rows.map(rowToTenant);
  }, { operation: 'listTenants' });
}

/** What a tenant reference (a CLI `--tenant`, `purge <tenant>`, a library caller's text) names. */
export interface TenantRef {
  /** The tenant id to use (lower case). */
  id: string;
  /** The name given, or the registered name when the reference was an id; null when neither. */
  name: string | null;
  /** The registry row, or null when the tenant is not registered (threads can exist without one). */
  tenant: Tenant | null;
  /** How `id` was found. */
  via: 'id' | 'registry' | 'default-id';
}

/** Thrown inside the probe transaction to roll it back (see nameTakenElsewhere). */
class ProbeRollback extends Error {
  constructor(readonly taken: boolean) {
    super('probe rolled back');
  }
}

/**
 * Whether `name` is registered to some tenant, asked without reading the registry (which RLS hides
 * from the application role): insert the name under a fresh id and roll back. The unique index is
 * checked across tenants, so a conflict means the name is taken. Nothing is written.
 */
async function nameTakenElsewhere(db: Database, name: string): Promise<boolean> {
  const probeId = randomUUID();
  try {
    await inTenant(db, probeId, 'resolveTenant', async (tx) => {
      const { rows } = await tx.query('INSERT INTO thread_store.tenants (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id', [probeId, name]);
      throw new ProbeRollback(rows.length === 0);
    });
  } catch (error) {
    if (error instanceof ProbeRollback) return error.taken;
    throw error;
  }
  return false;
}

/**
 * THE rule by which a tenant reference becomes a tenant id, used by every CLI command and by
 * resolveTenant:
 *
 * - a UUID (any letter case) is that tenant, registered or not;
 * - a registered name is the id the registry gives it (`tenants create acme --id <uuid>` → that uuid);
 * - an unregistered name is its default id, tenantIdForName(name) (UUIDv5), so `--tenant acme`
 *   works with no tenants table and names the same tenant on every database;
 * - anything ambiguous is InvalidRequest rather than a guess: a name whose default id belongs to a
 *   tenant registered under another name, or — for a role that cannot read the registry by name
 *   (the application role under RLS) — a name registered under an id this role cannot see.
 */
export async function resolveTenantRef(db: Database, ref: string): Promise<TenantRef> {
  if (isUuid(ref)) {
    const id = ref.toLowerCase();
    const tenant = await getTenant(db, id);
    return { id, name: tenant?.name ?? null, tenant, via: 'id' };
  }
  const name = parseOrThrow(tenantNameSchema, ref, 'tenant');
  const defaultId = tenantIdForName(name);
  const atDefault = await getTenant(db, defaultId);
  if (atDefault && atDefault.name === name) return { id: defaultId, name, tenant: atDefault, via: 'registry' };
  if (await canListTenants(db)) {
    const found = await db.transaction(async (tx) => {
      const [row] = await run(tx, (db) => db.select().from(tenants).where(eq(tenants.name, name)));
      return row ? rowToTenant(row) : null;
    }, { operation: 'resolveTenant' });
    if (found) return { id: found.id, name, tenant: found, via: 'registry' };
  } else if (await nameTakenElsewhere(db, name)) {
    throw new InvalidRequestError(
      `tenant "${name}" is registered under an id this database role cannot look up by name (the registry is readable by the owner role only); give the tenant id instead`,
      { path: 'tenant' },
    );
  }
  if (atDefault && atDefault.name !== null) {
    throw new InvalidRequestError(`"${name}" is not a registered tenant name, and its default id ${defaultId} belongs to tenant "${atDefault.name}"; give a tenant id instead`, { path: 'tenant' });
  }
  return { id: defaultId, name, tenant: atDefault, via: 'default-id' };
}

/** A registered tenant by id or by name (resolveTenantRef's rule); InvalidRequest when it is not registered. */
export async function resolveTenant(db: Database, ref: string): Promise<Tenant> {
  const resolved = await resolveTenantRef(db, ref);
  if (resolved.tenant) return resolved.tenant;
  throw new InvalidRequestError(resolved.via === 'id' ? `tenant ${resolved.id} is not registered` : `no tenant named "${resolved.name}"`, { path: 'tenant' });
}

/**
 * Set (number) or remove (null) quotas; absent fields stay as they are. A tenant without a row
 * gets one (nameless), so any tenant id can be given quotas.
 */
export async function setTenantQuota(db: Database, tenantId: string, quota: Partial<TenantQuota>): Promise<Tenant> {
  const id = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
  const q = parseOrThrow(quotaPatchSchema, quota, 'quota');
  return inTenant(db, id, 'setTenantQuota', async (tx) => {
    // Only the quotas given change; with none given the row is still created (and returned).
    const set = {
      ...(q.maxThreads !== undefined ? { maxThreads: q.maxThreads } : {}),
      ...(q.maxItemBytes !== undefined ? { maxItemBytes: q.maxItemBytes } : {}),
    };
    const [row] = await run(tx, (db) =>
      db
        .insert(tenants)
        .values({ id, maxThreads: q.maxThreads ?? null, maxItemBytes: q.maxItemBytes ?? null })
        .onConflictDoUpdate({ target: tenants.id, set: Object.keys(set).length > 0 ? set : { maxThreads: sql`${tenants.maxThreads}` } })
        .returning(),
    );
    return rowToTenant(row!);
  });
}

/** What the tenant stores against its quotas. */
export async function tenantUsage(db: Database, tenantId: string): Promise<TenantUsage> {
  const id = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
  return inTenant(db, id, 'tenantUsage', async (tx) => {
    const quota = await readQuota(tx, id);
    const usage = await readUsage(tx, id);
    const { rows } = await tx.query<{ n: unknown }>('SELECT coalesce(sum(item_count), 0) AS n FROM thread_store.threads WHERE tenant_id = $1', [id]);
    return { tenantId: id, threads: usage.threads, items: Number(rows[0]?.n ?? 0), itemBytes: usage.itemBytes, ...quota };
  });
}

/** A quota patch checked as setTenantQuota checks it (non-negative safe integers, null lifts). */
export function parseQuotaPatch(quota: unknown): Partial<TenantQuota> {
  return parseOrThrow(quotaPatchSchema, quota, 'quota');
}

/** A tenant id as every call takes it (a UUID, returned lower case). */
export function parseTenantId(tenantId: unknown): string {
  return parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
}
