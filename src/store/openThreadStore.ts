// Owns opening a store: a PostgreSQL server when a URL or a pg.Pool is given (or DATABASE_URL is
// set), else the embedded PGlite in a local data directory; migrations; the shared runtime; tenant
// views; and how operator calls (src/admin, src/analytics) find the database behind a service or a
// tenant's store.
import { hostname } from 'node:os';
import type pg from 'pg';
import { tenantIdSchema, newUuidV7 } from '../model/ids.js';
import { parseOrThrow } from '../model/validate.js';
import { openEmbeddedDatabase, openPostgresDatabase, type Database } from '../db/database.js';
import { APP_ROLE, canSetRole } from '../db/roles.js';
import { ensureSchemaReady } from '../db/migrate.js';
import { InvalidRequestError, UnsupportedError, toThreadStoreError } from '../model/errors.js';
import type { ThreadStore, ThreadStoreService } from './ThreadStore.js';
import { DEFAULT_ITEM_LIMITS, searchTextOf, type ItemLimits } from './shared/preparedItem.js';
import { DEFAULT_GROUP_COMMIT_OPTIONS, GroupCommitWriter, type GroupCommitOptions } from './postgres/groupCommitWriter.js';
import { beatProcess, forgetProcess } from './postgres/liveWriter.js';
import { PostgresThreadStore } from './postgres/PostgresThreadStore.js';
import { DEFAULT_SEARCH_INDEXER_OPTIONS, SearchIndexer, type SearchIndexerOptions } from './postgres/searchIndex.js';
import type { StoreRuntime } from './postgres/StoreRuntime.js';

export const DEFAULT_DATA_DIR = './.thread-store';
export { APP_ROLE };

export interface OpenThreadStoreOptions {
  /** PostgreSQL URL. Default: DATABASE_URL; when neither (nor `pool`) is set, the embedded database. */
  url?: string;
  /**
   * A pg.Pool the application already has (its SSL, its authentication), used instead of a URL and
   * left open by close(). Connect it as the application login (`thread-store setup-roles` makes that
   * login's sessions start as thread_store_app): with a pool the store does not switch roles unless
   * `role` names one — then every checkout costs a SET ROLE and a RESET ROLE. Its own settings
   * (size, statement_timeout) apply; `maxConnections` and `statementTimeoutMs` are ignored.
   */
  pool?: pg.Pool;
  /** Embedded database directory (default `./.thread-store`); `':memory:'` keeps it in memory. */
  dataDir?: string;
  /**
   * Apply pending migrations on open (default true); nothing is run when the schema is current, so
   * a non-owner role can open a migrated database. With false, a schema that is behind is an error.
   */
  migrate?: boolean;
  /**
   * Role to run as after migrating, so RLS applies even if the connecting user owns the tables.
   * Default: `thread_store_app` when that role exists and the session may SET ROLE to it (with a
   * caller's `pool`: stay); `null` = stay.
   */
  role?: string | null;
  maxConnections?: number;
  statementTimeoutMs?: number;
  groupCommit?: Partial<GroupCommitOptions>;
  /**
   * Content search: when committed text is folded into indexed documents (searchable at once either
   * way): no sooner than foldDelayMs, after a pause of idleMs in this process's appends, at the
   * latest maxFoldDelayMs or once maxPendingBytes of text wait (defaults 1 s, 200 ms, 10 s, 32 MB);
   * `documents: false` writes no documents at all (searches then read the lines).
   */
  search?: Partial<SearchIndexerOptions>;
  limits?: Partial<ItemLimits>;
  /**
   * A live thread's claim may be taken over by another process once its owner process has not
   * beaten for this long (default 30 s). Each process beats once per leaseMs/3, whatever the
   * number of live threads and tenants it holds.
   */
  leaseMs?: number;
  now?: () => string;
}

export type { ThreadStoreService, WriterStats } from './ThreadStore.js';

/** The PostgreSQL service: a ThreadStoreService with its database (for operator calls; not public). */
export interface PostgresThreadStoreService extends ThreadStoreService {
  readonly kind: 'postgres' | 'embedded';
  readonly database: Database;
}

export async function openDatabase(options: Pick<OpenThreadStoreOptions, 'url' | 'pool' | 'dataDir' | 'maxConnections' | 'statementTimeoutMs'> = {}): Promise<Database> {
  if (options.pool) return openPostgresDatabase({ pool: options.pool });
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

async function resolveRole(db: Database, requested: string | null | undefined, borrowedPool: boolean): Promise<string | null> {
  if (requested === null || (requested === undefined && borrowedPool)) return null;
  const role = requested ?? APP_ROLE;
  const ok = await canSetRole(db, role);
  if (!ok && requested !== undefined) throw new InvalidRequestError(`cannot SET ROLE ${role}: the role is missing or the user is not a member of it`, { path: 'role' });
  return ok ? role : null;
}

export function openThreadStore(options: OpenThreadStoreOptions = {}): Promise<ThreadStoreService> {
  return openPostgresService(options);
}

/** openThreadStore, typed with the database (the CLI and the operator calls need it). */
export async function openPostgresService(options: OpenThreadStoreOptions = {}): Promise<PostgresThreadStoreService> {
  // Nothing but a ThreadStoreError leaves: a bad URL, an unreadable data directory or migration
  // folder are Internal naming the cause.
  let db: Database;
  try {
    db = await openDatabase(options);
  } catch (error) {
    throw toThreadStoreError(error, 'openThreadStore');
  }
  try {
    // Issue #8: migrate only when the schema is behind (a non-owner application role cannot run
    // DDL at all); with migrate: false a schema that is behind is a clear error, not a later crash.
    await ensureSchemaReady(db, { migrate: options.migrate ?? true });
    const role = await resolveRole(db, options.role, options.pool !== undefined);
    if (role) await db.useRole(role);
  } catch (error) {
    await db.close().catch(() => {});
    throw toThreadStoreError(error, 'openThreadStore');
  }
  return createService(db, options);
}

export function createService(db: Database, options: OpenThreadStoreOptions = {}): PostgresThreadStoreService {
  const leaseMs = options.leaseMs ?? 30_000;
  const ownerId = `${hostname()}:${process.pid}:${newUuidV7()}`;
  const writer = new GroupCommitWriter(db, { ...DEFAULT_GROUP_COMMIT_OPTIONS, ...options.groupCommit });
  const search = new SearchIndexer(db, { ...DEFAULT_SEARCH_INDEXER_OPTIONS, ...options.search }, () => writer.lastActivityAt);
  // The writer has every committed line in memory: hand their visible text to the indexer.
  writer.onCommit = (threads) => {
    if (!search.writesDocuments) return;
    for (const t of threads) {
      if (t.items.length === 0) continue;
      search.add(t.state.tenantId, t.state.threadId, t.firstSeq, t.firstSeq + t.items.length - 1, t.items.map(({ item }) => searchTextOf(item.line)));
    }
  };
  // The process row is written before the first claim and then kept fresh by one statement per
  // beat, whatever the number of live threads or tenants (claims are alive while it is).
  let registered: Promise<void> | null = null;
  let beats = 0;
  const beat = () => db.transaction((tx) => beatProcess(tx, ownerId, ++beats % 360 === 0), { operation: 'heartbeat' });
  const runtime: StoreRuntime = {
    db,
    writer,
    search,
    live: new Map(),
    ownerId,
    leaseMs,
    limits: { ...DEFAULT_ITEM_LIMITS, ...options.limits },
    now: options.now ?? (() => new Date().toISOString()),
    registerProcess() {
      registered ??= beat().catch((error: unknown) => {
        registered = null;
        throw error;
      });
      return registered;
    },
  };
  const heartbeat = setInterval(() => {
    // The database may be unreachable right now; the next beat tries again.
    if (registered) void beat().catch(() => {});
  }, Math.max(50, Math.floor(leaseMs / 3)));
  heartbeat.unref();
  const service: PostgresThreadStoreService = {
    kind: db.kind,
    database: db,
    forTenant(tenantId: string): ThreadStore {
      return new PostgresThreadStore(parseOrThrow(tenantIdSchema, tenantId, 'tenantId'), runtime);
    },
    flushSearchIndex: () => search.flush(),
    writerStats: () => ({ ...writer.stats }),
    async close(): Promise<void> {
      clearInterval(heartbeat);
      await runtime.writer.close();
      await search.flush().catch(() => {});
      await search.close();
      const held = [...runtime.live.values()].filter((s) => !s.closed);
      if (held.length > 0) {
        // One statement for every tenant's claims: the scope names them all.
        await db
          .pipeline(
            [...new Set(held.map((s) => s.tenantId))].sort(),
            [
              {
                statement: {
                  text: `DELETE FROM thread_store.thread_writers w USING unnest($1::uuid[], $2::uuid[]) AS c(tenant_id, thread_id)
                          WHERE w.tenant_id = c.tenant_id AND w.thread_id = c.thread_id AND w.owner = $3`,
                },
                params: [held.map((s) => s.tenantId), held.map((s) => s.threadId), ownerId],
              },
            ],
            'close',
          )
          .catch(() => {});
      }
      for (const s of held) s.closed = true;
      runtime.live.clear();
      if (registered) await db.transaction((tx) => forgetProcess(tx, ownerId), { operation: 'close' }).catch(() => {});
      await db.close();
    },
  };
  POSTGRES_SERVICES.add(service);
  return service;
}

/** The services createService made: what databaseOf recognizes. */
const POSTGRES_SERVICES = new WeakSet<object>();

/** The database behind a service; Unsupported for a service without one (the in-memory store). */
export function databaseOf(service: ThreadStoreService, operation: string): Database {
  if (!POSTGRES_SERVICES.has(service)) throw new UnsupportedError(`${operation} (needs PostgreSQL; this service is ${describeKind(service)})`);
  return (service as PostgresThreadStoreService).database;
}

/** The database and tenant behind a tenant's store; Unsupported for a store without a database. */
export function tenantDatabaseOf(store: ThreadStore, operation: string): { db: Database; tenantId: string } {
  if (!(store instanceof PostgresThreadStore)) throw new UnsupportedError(`${operation} (needs PostgreSQL; this store is not a PostgreSQL tenant store)`);
  return { db: store.database, tenantId: store.tenantId };
}

function describeKind(service: unknown): string {
  const kind = (service as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' ? `'${kind}'` : 'not one of pg-thread-store';
}
