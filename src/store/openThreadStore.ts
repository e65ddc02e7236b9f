// Owns opening a store: a PostgreSQL server when a URL is given (or DATABASE_URL is set), else the
// embedded PGlite in a local data directory; migrations; the shared runtime; tenant views.
import { hostname } from 'node:os';
import { ConflictError } from '../model/errors.js';
import { tenantIdSchema, newUuidV7 } from '../model/ids.js';
import { parseOrThrow } from '../model/validate.js';
import { openEmbeddedDatabase, openPostgresDatabase, type Database } from '../db/database.js';
import { ensureSchemaReady } from '../tenancy/roles.js';
import type { ThreadStore } from './ThreadStore.js';
import { DEFAULT_ITEM_LIMITS, type ItemLimits } from './shared/preparedItem.js';
import { DEFAULT_GROUP_COMMIT_OPTIONS, GroupCommitWriter, type GroupCommitOptions } from './postgres/groupCommitWriter.js';
import { heartbeatClaims, type LiveWriterState } from './postgres/liveWriter.js';
import { PostgresThreadStore } from './postgres/PostgresThreadStore.js';
import type { StoreRuntime } from './postgres/StoreRuntime.js';

export const DEFAULT_DATA_DIR = './.thread-store';
export const APP_ROLE = 'thread_store_app';

export interface OpenThreadStoreOptions {
  /** PostgreSQL URL. Default: DATABASE_URL; when neither is set, the embedded database. */
  url?: string;
  /** Embedded database directory (default `./.thread-store`); `':memory:'` keeps it in memory. */
  dataDir?: string;
  /**
   * Apply pending migrations on open (default true); nothing is run when the schema is current, so
   * a non-owner role can open a migrated database. With false, a schema that is behind is an error.
   */
  migrate?: boolean;
  /**
   * Role to run as after migrating, so RLS applies even if the connecting user owns the tables.
   * Default: `thread_store_app` when that role exists and the session may SET ROLE to it; `null` = stay.
   */
  role?: string | null;
  maxConnections?: number;
  statementTimeoutMs?: number;
  groupCommit?: Partial<GroupCommitOptions>;
  limits?: Partial<ItemLimits>;
  leaseMs?: number;
  now?: () => string;
}

export interface ThreadStoreService {
  readonly database: Database;
  forTenant(tenantId: string): ThreadStore;
  /** Waits for queued appends, releases live claims and closes the connections. */
  close(): Promise<void>;
}

export async function openDatabase(options: Pick<OpenThreadStoreOptions, 'url' | 'dataDir' | 'maxConnections' | 'statementTimeoutMs'> = {}): Promise<Database> {
  const url = options.url ?? process.env.DATABASE_URL;
  if (url) {
    return openPostgresDatabase({
      url,
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
      ...(options.statementTimeoutMs !== undefined ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
    });
  }
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  return openEmbeddedDatabase(dataDir === ':memory:' ? {} : { dataDir });
}

async function resolveRole(db: Database, requested: string | null | undefined): Promise<string | null> {
  if (requested === null) return null;
  const role = requested ?? APP_ROLE;
  const ok = await db.withSession(async (s) => {
    const { rows } = await s.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'MEMBER') AS ok`,
      [role],
    );
    return rows[0]?.ok === true;
  });
  if (!ok && requested !== undefined) throw new Error(`cannot SET ROLE ${role}: the role is missing or the user is not a member of it`);
  return ok ? role : null;
}

export async function openThreadStore(options: OpenThreadStoreOptions = {}): Promise<ThreadStoreService> {
  const db = await openDatabase(options);
  try {
    // Issue #8: migrate only when the schema is behind (a non-owner application role cannot run
    // DDL at all); with migrate: false a schema that is behind is a clear error, not a later crash.
    await ensureSchemaReady(db, { migrate: options.migrate ?? true });
    const role = await resolveRole(db, options.role);
    if (role) await db.useRole(role);
  } catch (error) {
    await db.close();
    throw error;
  }
  return createService(db, options);
}

export function createService(db: Database, options: OpenThreadStoreOptions = {}): ThreadStoreService {
  const leaseMs = options.leaseMs ?? 30_000;
  const runtime: StoreRuntime = {
    db,
    writer: new GroupCommitWriter(db, { ...DEFAULT_GROUP_COMMIT_OPTIONS, ...options.groupCommit }),
    live: new Map(),
    ownerId: `${hostname()}:${process.pid}:${newUuidV7()}`,
    leaseMs,
    limits: { ...DEFAULT_ITEM_LIMITS, ...options.limits },
    now: options.now ?? (() => new Date().toISOString()),
  };
  const heartbeat = setInterval(() => void refreshClaims(runtime), Math.max(50, Math.floor(leaseMs / 3)));
  heartbeat.unref();
  return {
    database: db,
    forTenant(tenantId: string): ThreadStore {
      return new PostgresThreadStore(parseOrThrow(tenantIdSchema, tenantId, 'tenantId'), runtime);
    },
    async close(): Promise<void> {
      clearInterval(heartbeat);
      await runtime.writer.close();
      const byTenant = groupByTenant([...runtime.live.values()].filter((s) => !s.closed));
      for (const [tenantId, states] of byTenant) {
        await db
          .transaction(
            (tx) => tx.query('DELETE FROM thread_store.thread_writers WHERE tenant_id = $1 AND thread_id = ANY($2::uuid[]) AND owner = $3', [tenantId, states.map((s) => s.threadId), runtime.ownerId]),
            { tenantId, operation: 'close' },
          )
          .catch(() => {});
        for (const s of states) s.closed = true;
      }
      runtime.live.clear();
      await db.close();
    },
  };
}

function groupByTenant(states: LiveWriterState[]): Map<string, LiveWriterState[]> {
  const out = new Map<string, LiveWriterState[]>();
  for (const s of states) out.set(s.tenantId, [...(out.get(s.tenantId) ?? []), s]);
  return out;
}

/** Keep this process's claims alive; a claim found taken over fences its writer off. */
async function refreshClaims(runtime: StoreRuntime): Promise<void> {
  const byTenant = groupByTenant([...runtime.live.values()].filter((s) => !s.closed));
  for (const [tenantId, states] of byTenant) {
    try {
      const lost = await runtime.db.transaction((tx) => heartbeatClaims(tx, tenantId, states), { tenantId, operation: 'heartbeat' });
      for (const id of lost) {
        const state = states.find((s) => s.threadId === id);
        if (state && !state.closed) {
          state.closed = true;
          state.fencedBy = new ConflictError(`thread ${id} was taken over by another writer`);
        }
      }
    } catch {
      // The database is unreachable right now; the next beat tries again.
    }
  }
}
