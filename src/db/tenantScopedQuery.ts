// Owns the one-round-trip tenant statement on a pg connection. A tenant transaction costs four
// round trips (BEGIN, set_config, the statement, COMMIT). Here the tenant's set_config and the
// statement go out together as one extended-protocol pipeline closed by a single Sync: PostgreSQL
// runs everything before a Sync in one implicit transaction, so the transaction-local
// `thread_store.tenant_id` is in force for the statement (RLS applies exactly as in a tenant
// transaction) and is gone when it ends. Nothing is left on the session for the next user of the
// pooled connection. If either part fails, the server skips the rest up to the Sync and the caller
// gets the error, as with any other query.
//
// pg has no public API for two statements before one Sync; it does let a query object take over
// its own message exchange (the Submittable protocol pg-cursor uses). TenantScopedQuery is pg's
// own Query with the tenant's Bind/Execute written in front of the statement's messages, so pg
// still parses the rows (with the pool's type parsers) and tracks the named statement.
import pg from 'pg';

/** A statement prepared once per connection under `name` (pg named statement). */
export interface NamedStatement {
  name: string;
  text: string;
  /**
   * Always run the generic plan (one plan for any parameters). For a statement whose best plan does
   * not depend on its parameters: PostgreSQL otherwise falls back to planning it anew on every call
   * whenever fresh statistics make the generic plan's estimate look dearer than a custom plan's.
   * (Embedded statements are not prepared, so there it changes nothing.)
   */
  genericPlan?: boolean;
}

/**
 * Set the tenant (and, for the generic-plan variant, plan_cache_mode) for the rest of the implicit
 * transaction and return no row: with no RowDescription asked for, a row would arrive without field
 * descriptions. The OFFSET keeps the planner from folding the volatile calls away.
 */
const SET_TENANT: NamedStatement = {
  name: 'thread_store_set_tenant',
  text: "SELECT FROM (SELECT set_config('thread_store.tenant_id', $1, true) AS tenant OFFSET 0) s WHERE tenant IS NULL",
};
const SET_TENANT_GENERIC_PLAN: NamedStatement = {
  name: 'thread_store_set_tenant_generic_plan',
  text: `SELECT FROM (SELECT set_config('thread_store.tenant_id', $1, true) AS tenant,
                          set_config('plan_cache_mode', 'force_generic_plan', true) AS plans OFFSET 0) s
          WHERE tenant IS NULL OR plans IS NULL`,
};

/** The part of pg's Connection that writes protocol messages (pg/lib/connection.js). */
interface ProtocolWriter {
  bind(config: { portal: string; statement: string; values: unknown[] }): void;
  execute(config: { portal: string; rows: number }): void;
}

interface PreparingQuery extends pg.Query {
  /** pg's Query writes Parse (first use of a name), Bind, Describe, Execute and Sync here. */
  prepare(connection: ProtocolWriter): void;
  callback?: (error: Error | null, result?: pg.QueryResult | pg.QueryResult[]) => void;
}

const PgQuery = pg.Query as unknown as new (config: pg.QueryConfig) => PreparingQuery;

class TenantScopedQuery extends PgQuery {
  constructor(
    private readonly prologue: NamedStatement,
    private readonly tenantId: string,
    config: pg.QueryConfig,
  ) {
    super(config);
  }

  override prepare(connection: ProtocolWriter): void {
    // Only Bind/Execute of an already parsed statement go in front: a Parse here would send a
    // ParseComplete that pg files under the main statement's name. The main statement's Bind comes
    // after the prologue ran, so its plan is chosen with plan_cache_mode already set.
    connection.bind({ portal: '', statement: this.prologue.name, values: [this.tenantId] });
    connection.execute({ portal: '', rows: 0 });
    super.prepare(connection);
  }
}

/** Prologue statements known to be parsed on each connection (pg tracks them once they are). */
const prepared = new WeakMap<pg.ClientBase, Set<string>>();

/**
 * Run `statement` with `params` on `client` as `tenantId`, in one round trip (two on the first use
 * of a connection, which prepares the prologue through pg's ordinary named query).
 */
export async function tenantScopedQuery<R extends pg.QueryResultRow>(
  client: pg.ClientBase,
  tenantId: string,
  statement: NamedStatement,
  params: readonly unknown[],
): Promise<pg.QueryResult<R>> {
  const prologue = statement.genericPlan ? SET_TENANT_GENERIC_PLAN : SET_TENANT;
  let parsed = prepared.get(client);
  if (!parsed?.has(prologue.name)) {
    // Its own implicit transaction: the settings it makes end with it.
    await client.query({ name: prologue.name, text: prologue.text, values: [tenantId] });
    if (!parsed) prepared.set(client, (parsed = new Set()));
    parsed.add(prologue.name);
  }
  const results = await new Promise<pg.QueryResult | pg.QueryResult[]>((resolve, reject) => {
    const query = new TenantScopedQuery(prologue, tenantId, { name: statement.name, text: statement.text, values: [...params] });
    query.callback = (error, result) => (error ? reject(error) : resolve(result!));
    void client.query(query);
  });
  // pg reports each statement's result: [set_config's, the statement's]. Anything else means pg
  // changed how it hands results to a query object; refuse rather than return the wrong rows.
  if (!Array.isArray(results) || results.length !== 2) throw new Error('tenantScopedQuery: pg returned an unexpected result shape');
  return results[1] as pg.QueryResult<R>;
}
