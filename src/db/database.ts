// Owns connections: a `Database` is either a pg Pool on a PostgreSQL server or an embedded PGlite
// in a local data directory. Everything above talks to `SqlExecutor`, so the same SQL runs on both.
// Also owns how a tenant scope reaches the server — one-round-trip pipelines (src/db/tenantPipeline.ts)
// and interactive tenant transactions opened by the same prologue. Driver errors are mapped to our
// typed errors at these calls (./errors.ts); what a transaction's callback throws itself passes through.
import pg from 'pg';
import {
  assertPipelineSupport,
  preparedStatement,
  beginTenantTransaction,
  runTenantPipeline,
  SET_TENANT_SCOPE,
  tenantScopeValue,
  type DatabaseLayout,
  type NamedStatement,
  type PipelineStep,
  type TenantScope,
} from './tenantPipeline.js';
import { InternalError } from '../model/errors.js';
import { isRetryableDbError, mapDbError, transactionError } from './errors.js';
import { detectLayout } from './citus.js';

export type { DatabaseLayout, NamedStatement, PipelineStep, TenantScope } from './tenantPipeline.js';
// The driver-error mapping lives in ./errors.ts; re-exported for the store's callers.
export { isRetryableDbError, mapDbError, sqlStateOf } from './errors.js';
export { preparedStatement };

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface SqlExecutor {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface TransactionOptions {
  /** Tenant whose rows the transaction may see (RLS). Omit only for tenant-less admin work. */
  tenantId?: string;
  /** Name of the operation, used in error messages. */
  operation?: string;
}

export interface Database {
  readonly kind: 'postgres' | 'embedded';
  /** Human description of where we are connected (no password). */
  readonly location: string;
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Statements that run within `scope` and commit together, with RLS exactly as in a tenant
   * transaction: ONE round trip on a server (src/db/tenantPipeline.ts), a tenant transaction when
   * embedded. Returns one result per step. For hot paths whose statements do not depend on one
   * another's answers (reads, the group-commit batch).
   */
  pipeline(scope: TenantScope, steps: readonly PipelineStep[], operation: string): Promise<QueryResult<Record<string, unknown>>[]>;
  /** One statement on one tenant's rows in one round trip: `pipeline` with a single step. */
  tenantQuery<R>(tenantId: string, statement: NamedStatement, params: readonly unknown[], operation: string): Promise<QueryResult<R>>;
  /** A dedicated session (not in a transaction), for migrations and advisory locks. */
  withSession<T>(fn: (session: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Run every later statement as `role` (e.g. the non-owner application role, so RLS applies even
   * when the connecting user owns the tables). Called after migrations, which need the owner.
   */
  useRole(role: string): Promise<void>;
  /**
   * Where the tables live ('single' server, or distributed on a Citus coordinator: src/db/citus.ts),
   * read once per Database on its first connection. It decides how the tenant scope reaches the rows
   * (src/db/tenantPipeline.ts) and how a group-commit batch is cut (groupCommitWriter.ts); distribute
   * a database before opening the stores that use it.
   */
  layout(): Promise<DatabaseLayout>;
  close(): Promise<void>;
}

async function runTransaction<T>(
  exec: SqlExecutor,
  begin: () => Promise<void>,
  fn: (tx: SqlExecutor) => Promise<T>,
): Promise<T> {
  await begin();
  try {
    const result = await fn(exec);
    await exec.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await exec.query('ROLLBACK');
    } catch {
      // The connection may be gone; the server rolls back on its own.
    }
    throw error;
  }
}

// ---- PostgreSQL server (pg Pool) ---------------------------------------------------------------

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const poolTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    // int8 counters and seqs fit in a double for any realistic thread; keep them numbers.
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
} as unknown as pg.CustomTypesConfig;

export interface PostgresDatabaseOptions {
  /** Connection URL; a pool of our own is opened. */
  url?: string;
  /**
   * A pool the caller already has (with its SSL and authentication): used as is and not closed by
   * close(). Its connections get our type parsing while we hold them and their own back afterwards;
   * `maxConnections`, `statementTimeoutMs` and `applicationName` are the pool's business then.
   */
  pool?: pg.Pool;
  maxConnections?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
}

/** pg's Client keeps its type parsers here (the tenant pipeline reads them too). */
interface ClientWithTypes {
  _types?: unknown;
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly location: string;
  readonly pool: pg.Pool;

  /** Whether the pool is ours (opened from a URL, ended by close) or the caller's. */
  private readonly ownsPool: boolean;
  /** The caller's pool: each connection's own type parsers while we hold it, put back on release. */
  private readonly borrowedTypes = new WeakMap<pg.PoolClient, unknown>();

  constructor(options: PostgresDatabaseOptions) {
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
      const o = this.pool.options as { host?: string; port?: number; database?: string; user?: string; connectionString?: string };
      const url = o.connectionString ? new URL(o.connectionString) : null;
      this.location = url
        ? `postgres://${url.username ? `${url.username}@` : ''}${url.host}${url.pathname} (caller's pool)`
        : `postgres://${o.user ? `${o.user}@` : ''}${o.host ?? 'localhost'}${o.port ? `:${o.port}` : ''}/${o.database ?? ''} (caller's pool)`;
      return;
    }
    if (!options.url) throw new InternalError('openPostgresDatabase needs a url or a pool');
    this.ownsPool = true;
    const url = new URL(options.url);
    this.location = `postgres://${url.username ? `${url.username}@` : ''}${url.host}${url.pathname}`;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      types: poolTypes,
      application_name: options.applicationName ?? 'pg-thread-store',
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    });
    // A client that loses its connection must not crash the process: pg emits 'error' on the
    // pool for idle clients and on the client itself for checked-out ones (e.g. the server
    // restarts between two statements of a transaction). The failing query rejects on its own.
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => {
      client.on('error', () => {});
    });
  }

  private role: string | undefined;
  private readonly clientRoles = new WeakMap<pg.PoolClient, string>();

  async useRole(role: string): Promise<void> {
    this.role = role;
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const client = await this.connect(options.operation);
    let broken = false;
    try {
      const layout = await this.layout();
      return await runTransaction(client as unknown as SqlExecutor, () => beginTenantTransaction(client, options.tenantId, layout), fn);
    } catch (error) {
      broken = isRetryableDbError(error);
      throw transactionError(error, options.operation ?? 'transaction');
    } finally {
      this.release(client, broken);
    }
  }

  async pipeline(scope: TenantScope, steps: readonly PipelineStep[], operation: string): Promise<QueryResult<Record<string, unknown>>[]> {
    const client = await this.connect(operation);
    let broken = false;
    try {
      return await runTenantPipeline(client, scope, steps, { layout: await this.layout() });
    } catch (error) {
      broken = isRetryableDbError(error);
      throw mapDbError(error, operation);
    } finally {
      this.release(client, broken);
    }
  }

  async tenantQuery<R>(tenantId: string, statement: NamedStatement, params: readonly unknown[], operation: string): Promise<QueryResult<R>> {
    const [result] = await this.pipeline(tenantId, [{ statement, params }], operation);
    return result as unknown as QueryResult<R>;
  }

  async withSession<T>(fn: (session: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.connect('session');
    try {
      return await fn(client as unknown as SqlExecutor);
    } catch (error) {
      throw transactionError(error, 'session');
    } finally {
      this.release(client);
    }
  }

  /** Settles once the first connection proved that this pg runs tenant pipelines. */
  private pipelineChecked: Promise<void> | null = null;
  /** Read on the first connection (see Database.layout). */
  private detectedLayout: Promise<DatabaseLayout> | null = null;

  async layout(): Promise<DatabaseLayout> {
    if (!this.detectedLayout) {
      // The first connection detects it; until one was made, make one.
      const client = await this.connect('layout');
      this.release(client);
    }
    return this.detectedLayout!;
  }

  private async connect(operation = 'connect'): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw mapDbError(error, operation);
    }
    if (!this.ownsPool) {
      // Our int8 parsing while we hold the caller's connection (numbers, as on our own pool).
      const held = client as unknown as ClientWithTypes;
      this.borrowedTypes.set(client, held._types);
      held._types = poolTypes;
    }
    if (!this.pipelineChecked) {
      this.pipelineChecked = assertPipelineSupport(client).catch((error: unknown) => {
        throw new InternalError(error instanceof Error ? error.message : String(error), { cause: error });
      });
    }
    if (!this.detectedLayout) {
      this.detectedLayout = detectLayout(client as unknown as SqlExecutor).catch((error: unknown) => {
        this.detectedLayout = null;
        throw mapDbError(error, 'layout');
      });
    }
    try {
      await this.pipelineChecked;
      await this.detectedLayout;
    } catch (error) {
      this.release(client);
      throw error;
    }
    if (this.role !== undefined && this.clientRoles.get(client) !== this.role) {
      try {
        await client.query(`SET ROLE ${pg.escapeIdentifier(this.role)}`);
        this.clientRoles.set(client, this.role);
      } catch (error) {
        this.release(client, true);
        throw mapDbError(error, operation);
      }
    }
    return client;
  }

  /**
   * Back to the pool. A connection of the caller's pool gets its own type parsers back and, when we
   * switched its role, RESET ROLE first (so the caller's next use runs as its own login).
   */
  private release(client: pg.PoolClient, broken = false): void {
    if (this.ownsPool) {
      client.release(broken);
      return;
    }
    (client as unknown as ClientWithTypes)._types = this.borrowedTypes.get(client);
    this.borrowedTypes.delete(client);
    if (broken || !this.clientRoles.has(client)) {
      client.release(broken);
      return;
    }
    this.clientRoles.delete(client);
    client.query('RESET ROLE').then(
      () => client.release(),
      (error: unknown) => client.release(error instanceof Error ? error : true),
    );
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}

export function openPostgresDatabase(options: PostgresDatabaseOptions): Database {
  return new PostgresDatabase(options);
}

// ---- Embedded (PGlite) -------------------------------------------------------------------------

interface PGliteLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
  exec(text: string): Promise<unknown>;
  close(): Promise<void>;
  waitReady: Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Data directory; `undefined` keeps the database in memory (tests). */
  dataDir?: string;
}

/**
 * PGlite is one connection. Transactions are serialized through a promise chain so that
 * concurrent callers never interleave statements inside one another's transaction.
 */
class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  readonly location: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: PGliteLike,
    dataDir: string | undefined,
  ) {
    this.location = dataDir ? `embedded:${dataDir}` : 'embedded:memory';
  }

  private executor(): SqlExecutor {
    const db = this.db;
    return {
      async query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
        const result = await db.query<R>(text, params ? [...params] : undefined);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
      },
    };
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.serialize(async () => {
      const exec = this.executor();
      const begin = async () => {
        await exec.query('BEGIN');
        if (options.tenantId !== undefined) await exec.query(SET_TENANT_SCOPE.text, [tenantScopeValue(options.tenantId)]);
      };
      try {
        return await runTransaction(exec, begin, fn);
      } catch (error) {
        throw transactionError(error, options.operation ?? 'transaction');
      }
    });
  }

  pipeline(scope: TenantScope, steps: readonly PipelineStep[], operation: string): Promise<QueryResult<Record<string, unknown>>[]> {
    // In-process: a transaction's extra statements cost no network round trips.
    return this.serialize(async () => {
      const exec = this.executor();
      const begin = async () => {
        await exec.query('BEGIN');
        await exec.query(SET_TENANT_SCOPE.text, [tenantScopeValue(scope)]);
      };
      try {
        return await runTransaction(exec, begin, async (tx) => {
          const results: QueryResult<Record<string, unknown>>[] = [];
          for (const step of steps) results.push(await tx.query(step.statement.text, step.params));
          return results;
        });
      } catch (error) {
        throw mapDbError(error, operation);
      }
    });
  }

  async tenantQuery<R>(tenantId: string, statement: NamedStatement, params: readonly unknown[], operation: string): Promise<QueryResult<R>> {
    const [result] = await this.pipeline(tenantId, [{ statement, params }], operation);
    return result as unknown as QueryResult<R>;
  }

  withSession<T>(fn: (session: SqlExecutor) => Promise<T>): Promise<T> {
    return this.serialize(async () => {
      try {
        return await fn(this.executor());
      } catch (error) {
        throw transactionError(error, 'session');
      }
    });
  }

  useRole(role: string): Promise<void> {
    return this.serialize(async () => {
      await this.db.exec(`SET ROLE ${pg.escapeIdentifier(role)}`);
    });
  }

  async layout(): Promise<DatabaseLayout> {
    return 'single';
  }

  async close(): Promise<void> {
    await this.serialize(() => this.db.close());
  }
}

export async function openEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<Database> {
  const [{ PGlite }, { pg_trgm }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
  ]);
  if (options.dataDir) {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(options.dataDir, { recursive: true });
  }
  // Options must be the only argument: PGlite ignores `extensions` when given as (dataDir, options).
  const db = new PGlite({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), extensions: { pg_trgm } }) as unknown as PGliteLike;
  await db.waitReady;
  return new EmbeddedDatabase(db, options.dataDir);
}
