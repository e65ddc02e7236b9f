// Gives each test file its own database: a fresh copy of the migrated template on the server
// chosen by globalSetup, or an in-memory embedded PGlite. `keep` leaves a failed file's database
// behind for inspection (THREAD_STORE_KEEP_TEST_DB=1).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { mapDbError, openEmbeddedDatabase, openPostgresDatabase, type Database } from '../../src/db/database.js';
import { SET_TENANT_SCOPE, tenantScopeValue } from '../../src/db/tenantPipeline.js';
import { migrate } from '../../src/db/migrate.js';
import { createService, type OpenThreadStoreOptions, type PostgresThreadStoreService } from '../../src/store/openThreadStore.js';

export interface TestDatabase {
  /** Connection URL of this file's database, or null in embedded mode. */
  url: string | null;
  mode: 'server' | 'embedded';
  /** A new connection to this file's database as the owner (superuser) — for raw assertions. */
  openOwner(): Promise<Database>;
  /** A store on this file's database, running as the non-owner application role. */
  openStore(options?: OpenThreadStoreOptions): Promise<PostgresThreadStoreService>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('serverUrl');
  const template = inject('templateDb');
  const citusUrl = inject('citusUrl');
  if (citusUrl) return sharedCitusDatabase(citusUrl);
  if (serverUrl && template) {
    const name = `ts_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const dbUrl = url.toString();
    const opened: Database[] = [];
    return {
      url: dbUrl,
      mode: 'server',
      async openOwner() {
        const db = openPostgresDatabase({ url: dbUrl, maxConnections: 4 });
        opened.push(db);
        return db;
      },
      async openStore(options = {}) {
        const db = openPostgresDatabase({ url: dbUrl, maxConnections: options.maxConnections ?? 10 });
        await db.useRole('thread_store_app');
        return createService(db, options);
      },
      async drop() {
        for (const db of opened) await db.close().catch(() => {});
        if (process.env.THREAD_STORE_KEEP_TEST_DB) return;
        const a = new pg.Client({ connectionString: serverUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      },
    };
  }
  // Embedded: one in-memory PGlite per file, shared by the owner handle and the store.
  const db = await openEmbeddedDatabase({});
  await migrate(db);
  let store: PostgresThreadStoreService | null = null;
  return {
    url: null,
    mode: 'embedded',
    async openOwner() {
      return asOwner(db);
    },
    async openStore(options = {}) {
      await db.useRole('thread_store_app');
      store = createService(withoutClose(db), options);
      return store;
    },
    async drop() {
      await db.close();
    },
  };
}

/**
 * The Citus suite (vitest.citus.config.ts): every file shares the one distributed database of the
 * throwaway cluster (test/helpers/citusSetup.ts migrated and distributed it; Citus does not copy a
 * distributed database from a template). Files run one at a time and every test uses tenants of its
 * own, so they cannot see one another's rows; the cluster is destroyed after the run.
 */
function sharedCitusDatabase(url: string): TestDatabase {
  const opened: Database[] = [];
  return {
    url,
    mode: 'server',
    async openOwner() {
      const db = openPostgresDatabase({ url, maxConnections: 4 });
      opened.push(db);
      return db;
    },
    async openStore(options = {}) {
      const db = openPostgresDatabase({ url, maxConnections: options.maxConnections ?? 10 });
      await db.useRole('thread_store_app');
      return createService(db, options);
    },
    async drop() {
      for (const db of opened) await db.close().catch(() => {});
    },
  };
}

/** This file's database and a store on it, opened before the file's tests and closed after them. */
export interface TestStore {
  readonly test: TestDatabase;
  /** The store service, as the application role. */
  readonly service: PostgresThreadStoreService;
  /** The owner's connection, for raw assertions (only with `{ owner: true }`). */
  readonly owner: Database;
}

/** Registers the file's beforeAll/afterAll; read the fields inside tests (they are set by beforeAll). */
export function useTestStore(options: { owner?: boolean } = {}): TestStore {
  const ctx = {} as { test: TestDatabase; service: PostgresThreadStoreService; owner: Database };
  beforeAll(async () => {
    ctx.test = await createTestDatabase();
    ctx.service = await ctx.test.openStore();
    if (options.owner) ctx.owner = await ctx.test.openOwner();
  });
  afterAll(async () => {
    await ctx.service?.close();
    await ctx.test?.drop();
  });
  return ctx;
}

/** PGlite is one connection shared by every handle in the file; only drop() really closes it. */
export function withoutClose(db: Database): Database {
  return {
    kind: db.kind,
    location: db.location,
    transaction: (fn, o) => db.transaction(fn, o),
    pipeline: (scope, steps, operation) => db.pipeline(scope, steps, operation),
    tenantQuery: (tenantId, statement, params, operation) => db.tenantQuery(tenantId, statement, params, operation),
    withSession: (fn) => db.withSession(fn),
    useRole: (r) => db.useRole(r),
    layout: () => db.layout(),
    close: async () => {},
  };
}

/** The shared PGlite connection runs as the app role once a store is open; owner work resets it. */
function asOwner(db: Database): Database {
  const inOwnerRole = <T>(fn: (s: import('../../src/db/database.js').SqlExecutor) => Promise<T>) =>
    db.withSession(async (s) => {
      const { rows } = await s.query<{ r: string }>('SELECT current_user AS r');
      await s.query('RESET ROLE');
      try {
        return await fn(s);
      } finally {
        if (rows[0]?.r === 'thread_store_app') await s.query('SET ROLE thread_store_app');
      }
    });
  const owner: Database = {
    kind: db.kind,
    location: db.location,
    transaction: (fn, o) =>
      inOwnerRole(async (s) => {
        await s.query('BEGIN');
        try {
          if (o?.tenantId) await s.query(`SELECT set_config('thread_store.tenant_id', $1, true)`, [o.tenantId]);
          const r = await fn(s);
          await s.query('COMMIT');
          return r;
        } catch (e) {
          await s.query('ROLLBACK');
          throw e;
        }
      }),
    pipeline: (scope, steps, operation) =>
      inOwnerRole(async (s) => {
        await s.query('BEGIN');
        try {
          await s.query(SET_TENANT_SCOPE.text, [tenantScopeValue(scope)]);
          const results = [];
          for (const step of steps) results.push(await s.query(step.statement.text, step.params));
          await s.query('COMMIT');
          return results;
        } catch (e) {
          await s.query('ROLLBACK');
          throw mapDbError(e, operation);
        }
      }),
    tenantQuery: (tenantId, statement, params, operation) =>
      owner.transaction((tx) => tx.query(statement.text, params), { tenantId, operation }),
    withSession: (fn) => inOwnerRole(fn),
    useRole: (r) => db.useRole(r),
    layout: () => db.layout(),
    close: async () => {},
  };
  return owner;
}
