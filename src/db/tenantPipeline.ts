// Owns the one tenant-scoping primitive of the PostgreSQL server path: statements that run as one or
// more tenants, sent in ONE round trip. The tenant scope (thread_store.tenant_id, transaction-local,
// what every row-level-security policy compares tenant_id with) is set by a prologue statement, and
// the prologue and the statements go out as one extended-protocol pipeline closed by a single Sync.
// PostgreSQL runs everything before a Sync in one implicit transaction: the scope is in force for
// every statement (RLS applies exactly as in a tenant transaction), the statements commit together
// at the Sync (or roll back together when one fails: the server skips the rest up to the Sync), and
// nothing is left on the pooled connection for its next user.
//
// The same prologue opens the interactive tenant transactions of src/db/database.ts (pipelined
// behind BEGIN), so there is one way a tenant reaches the server, whatever the path. On a
// distributed (Citus) database the prologue is BEGIN + SET LOCAL and the pipeline ends with COMMIT
// (see DatabaseLayout): still one round trip, still the one place the scope is set.
//
// pg has no public API for several statements before one Sync. It does let a query object take over
// its own message exchange (the Submittable protocol pg-cursor and pg-query-stream use):
// TenantPipeline writes Parse (first use of a named statement on the connection), Bind, Describe and
// Execute for the prologue and each statement, then one Sync, and collects one result per
// statement. It relies on pg's Connection writer methods, its `parsedStatements` cache and the
// parseComplete event, which pg-cursor relies on as well; `assertPipelineSupport` checks them when a
// store opens, so a pg release that changed them fails at open with a clear error, never later with
// wrong rows. package.json pins pg to the 8.x line this was verified with.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';
import pgUtils from 'pg/lib/utils.js';
import { InternalError } from '../model/errors.js';

/** A statement prepared once per connection under `name` (a pg named statement). */
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

const byText = new Map<string, NamedStatement>();

/**
 * A statement prepared once per connection under a name derived from its text, for SQL assembled
 * from a bounded set of shapes (a listing's filters): each shape is parsed once per connection.
 */
export function preparedStatement(text: string): NamedStatement {
  let statement = byText.get(text);
  if (!statement) {
    statement = { name: `thread_store_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text };
    if (byText.size < 10_000) byText.set(text, statement);
  }
  return statement;
}

/** One statement of a pipeline: a named (prepared) statement, or plain text planned on each use. */
export interface PipelineStep {
  statement: NamedStatement | { text: string };
  params: readonly unknown[];
}

/**
 * The tenants a statement may see and write: one tenant (every path but one), or the tenants of a
 * group-commit batch (src/store/postgres/appendBatch.ts), whose rows must each belong to one of them.
 */
export type TenantScope = string | readonly string[];

/** The value of thread_store.tenant_id for a scope: one id, or ids joined by commas (0009_*.sql). */
export function tenantScopeValue(scope: TenantScope): string {
  return typeof scope === 'string' ? scope : scope.join(',');
}

/**
 * Sets the tenant scope (and, for the generic-plan variant, plan_cache_mode) for the rest of the
 * (implicit or explicit) transaction and returns no row: with no rows there is nothing to describe.
 * The OFFSET keeps the planner from folding the volatile calls away.
 */
export const SET_TENANT_SCOPE: NamedStatement = {
  name: 'thread_store_set_tenant_scope',
  text: "SELECT FROM (SELECT set_config('thread_store.tenant_id', $1, true) AS tenant OFFSET 0) s WHERE tenant IS NULL",
};
const SET_TENANT_SCOPE_GENERIC_PLAN: NamedStatement = {
  name: 'thread_store_set_tenant_scope_generic_plan',
  text: `SELECT FROM (SELECT set_config('thread_store.tenant_id', $1, true) AS tenant,
                          set_config('plan_cache_mode', 'force_generic_plan', true) AS plans OFFSET 0) s
          WHERE tenant IS NULL OR plans IS NULL`,
};

/**
 * Where the tables live, which decides how the scope reaches the rows: one server ('single'), or a
 * Citus coordinator whose tenant tables are distributed ('citus-distributed', src/db/citus.ts). On
 * Citus the row-level-security policies run on the WORKERS, and a value set with set_config never
 * leaves the coordinator: only a `SET LOCAL` inside a transaction block, with
 * citus.propagate_set_commands = 'local', is replayed on every worker connection the transaction
 * opens (shared/citus/README.md, verified in test/citus). So there the scope is opened by
 * BEGIN + SET LOCAL and closed by COMMIT — in the same one-round-trip pipeline.
 */
export type DatabaseLayout = 'single' | 'citus-distributed';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The Citus scope prologue: SET takes no bind parameters, so the scope goes in as a literal — built
 * only from ids that are UUIDs (checked here; anything else throws before a byte is sent), so the
 * literal cannot carry anything but hex digits, dashes and commas.
 */
function citusScopeSteps(scope: TenantScope): PipelineStep[] {
  const ids = typeof scope === 'string' ? [scope] : scope;
  if (ids.length === 0 || !ids.every((id) => UUID.test(id))) throw new InternalError('tenant scope must be one or more UUIDs (tenant ids are checked at the boundary: this is a bug)');
  return [
    { statement: { text: "SET LOCAL citus.propagate_set_commands = 'local'" }, params: [] },
    { statement: { text: `SET LOCAL thread_store.tenant_id = '${ids.join(',')}'` }, params: [] },
  ];
}

/**
 * The statements that put `scope` in force for the rest of an open transaction block on `layout`
 * (what beginTenantTransaction sends after BEGIN): for callers that open their block themselves.
 */
export function tenantScopeSteps(scope: TenantScope, layout: DatabaseLayout): PipelineStep[] {
  return layout === 'citus-distributed' ? citusScopeSteps(scope) : [{ statement: SET_TENANT_SCOPE, params: [tenantScopeValue(scope)] }];
}

const BEGIN: PipelineStep = { statement: { text: 'BEGIN' }, params: [] };
const COMMIT: PipelineStep = { statement: { text: 'COMMIT' }, params: [] };

/** The part of pg's Connection a pipeline writes to and listens on (pg/lib/connection.js). */
interface PgConnection {
  parse(config: { text: string; name: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: readonly unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
  parsedStatements: Record<string, string>;
  stream: { cork?: () => void; uncork?: () => void };
  on(event: 'parseComplete', listener: () => void): void;
  removeListener(event: 'parseComplete', listener: () => void): void;
}

interface RowDescription {
  fields: unknown[];
}

interface DataRowMessage {
  fields: unknown[];
}

/** pg's Result (pg/lib/result.js): parses rows with the client's type parsers. */
interface PgResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
  command: string;
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): Record<string, unknown>;
  addRow(row: Record<string, unknown>): void;
  addCommandComplete(msg: unknown): void;
}

const PgResultClass = (pg as unknown as { Result: new (rowMode?: string, types?: unknown) => PgResult }).Result;
const prepareValue = (pgUtils as { prepareValue: (value: unknown) => unknown }).prepareValue;
const identity = (value: unknown) => value;

export interface PipelineResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number;
}

/**
 * A pg Submittable: the prologue and the steps as one pipeline, one Sync. Results come back in step
 * order (the prologue's is dropped). Any error fails the whole pipeline (the server rolled it back).
 */
class TenantPipeline {
  /** One result per Execute we sent (prologue first), filled in order. */
  private readonly results: PgResult[] = [];
  private current = 0;
  /** Named statements whose Parse we sent, in order, awaiting ParseComplete. */
  private readonly parsing: { name: string; text: string }[] = [];
  private connection: PgConnection | null = null;
  private settled = false;
  private readonly onParseComplete = () => {
    const parsed = this.parsing.shift();
    if (parsed && this.connection) this.connection.parsedStatements[parsed.name] = parsed.text;
  };

  constructor(
    private readonly steps: PipelineStep[],
    private readonly types: unknown,
    private readonly callback: (error: Error | null, results?: PgResult[]) => void,
  ) {}

  submit(connection: PgConnection): void {
    this.connection = connection;
    // Every value is serialized before anything is written: a value pg cannot serialize must fail
    // the pipeline before any statement of it reaches the server (a prefix would commit at the Sync).
    let values: unknown[][];
    try {
      values = this.steps.map((step) => step.params.map(prepareValue));
      for (const step of this.steps) {
        const parsed = 'name' in step.statement ? connection.parsedStatements[step.statement.name] : undefined;
        if (parsed !== undefined && parsed !== step.statement.text) throw new Error(`prepared statement ${(step.statement as NamedStatement).name} was used for a different statement`);
      }
    } catch (error) {
      // Nothing was sent; an empty Sync still earns the ReadyForQuery the client waits for.
      connection.sync();
      this.finish(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    connection.on('parseComplete', this.onParseComplete);
    connection.stream.cork?.();
    try {
      for (const [k, step] of this.steps.entries()) {
        this.results.push(new PgResultClass(undefined, this.types));
        const named = 'name' in step.statement ? step.statement : null;
        const name = named?.name ?? '';
        // Parsed once per connection (a named statement used twice in one pipeline is parsed once).
        if (!named || (connection.parsedStatements[name] !== step.statement.text && !this.parsing.some((p) => p.name === name))) {
          connection.parse({ text: step.statement.text, name, types: [] });
          if (named) this.parsing.push({ name, text: named.text });
        }
        connection.bind({ portal: '', statement: name, values: values[k]!, valueMapper: identity });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '', rows: 0 });
      }
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
  }

  handleRowDescription(msg: RowDescription): void {
    this.results[this.current]?.addFields(msg.fields);
  }

  handleDataRow(msg: DataRowMessage): void {
    const result = this.results[this.current];
    if (!result || this.settled) return;
    try {
      result.addRow(result.parseRow(msg.fields));
    } catch (error) {
      this.finish(error instanceof Error ? error : new Error(String(error)));
    }
  }

  handleCommandComplete(msg: unknown): void {
    this.results[this.current]?.addCommandComplete(msg);
    this.current++;
  }

  handleEmptyQuery(): void {
    this.current++;
  }

  handlePortalSuspended(): void {
    // Every Execute asks for all rows (rows: 0), so a portal never suspends.
  }

  handleError(error: Error): void {
    this.finish(error);
  }

  handleReadyForQuery(): void {
    if (this.current !== this.results.length && !this.settled) {
      this.finish(new Error(`tenant pipeline: ${this.current} of ${this.results.length} statements answered`));
      return;
    }
    this.finish(null);
  }

  handleCopyInResponse(): void {
    this.finish(new Error('tenant pipeline: COPY is not supported'));
  }

  handleCopyData(): void {}

  private finish(error: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    this.connection?.removeListener('parseComplete', this.onParseComplete);
    if (error) this.callback(error);
    else this.callback(null, this.results);
  }
}

/** What pg's Client exposes that a pipeline needs (its type parsers). */
interface ClientTypes {
  _types?: unknown;
}

/**
 * Run `steps` on `client` within `scope`, in one round trip (the implicit transaction commits at the
 * Sync; on Citus the pipeline is BEGIN, the SET LOCAL prologue, the steps and COMMIT, still one
 * round trip). Returns one result per step.
 */
export async function runTenantPipeline(
  client: pg.ClientBase,
  scope: TenantScope,
  steps: readonly PipelineStep[],
  options: { genericPlan?: boolean; layout?: DatabaseLayout } = {},
): Promise<PipelineResult[]> {
  const generic = options.genericPlan ?? steps.some((s) => 'genericPlan' in s.statement && s.statement.genericPlan === true);
  if (options.layout === 'citus-distributed') {
    // No forced generic plan here: Citus cannot plan a generic plan whose parameters feed its
    // sub-plans ("could not create distributed plan"), and it caches its router plans itself.
    const prologue = citusScopeSteps(scope);
    const results = await runInTransactionBlock(client, [BEGIN, ...prologue, ...steps, COMMIT]);
    return results.slice(1 + prologue.length, 1 + prologue.length + steps.length).map((r) => ({ rows: r.rows, rowCount: r.rowCount ?? r.rows.length }));
  }
  const prologue: PipelineStep = { statement: generic ? SET_TENANT_SCOPE_GENERIC_PLAN : SET_TENANT_SCOPE, params: [tenantScopeValue(scope)] };
  const results = await submitPipeline(client, [prologue, ...steps]);
  return results.slice(1).map((r) => ({ rows: r.rows, rowCount: r.rowCount ?? r.rows.length }));
}

function submitPipeline(client: pg.ClientBase, steps: PipelineStep[]): Promise<PgResult[]> {
  return new Promise<PgResult[]>((resolve, reject) => {
    const pipeline = new TenantPipeline(steps, (client as unknown as ClientTypes)._types, (error, r) => (error ? reject(error) : resolve(r!)));
    void client.query(pipeline as unknown as pg.QueryConfig);
  });
}

/**
 * A pipeline that opens a transaction block: when a statement fails the server skips the rest up to
 * the Sync and the block is left aborted, so roll it back before the connection goes back to the pool.
 */
async function runInTransactionBlock(client: pg.ClientBase, steps: PipelineStep[]): Promise<PgResult[]> {
  try {
    return await submitPipeline(client, steps);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * Open a tenant transaction in one round trip: BEGIN and the scope prologue pipelined together. The
 * caller runs its statements and COMMITs or ROLLs BACK.
 */
export async function beginTenantTransaction(client: pg.ClientBase, scope: TenantScope | undefined, layout: DatabaseLayout = 'single'): Promise<void> {
  if (scope === undefined) {
    await client.query('BEGIN');
    return;
  }
  // BEGIN inside the pipeline turns its implicit transaction into an explicit one that outlives the
  // Sync: the scope stays in force until COMMIT/ROLLBACK.
  if (layout === 'citus-distributed') {
    await runInTransactionBlock(client, [BEGIN, ...tenantScopeSteps(scope, layout)]);
    return;
  }
  await runTenantPipelineRaw(client, [BEGIN, ...tenantScopeSteps(scope, layout)]);
}

async function runTenantPipelineRaw(client: pg.ClientBase, steps: PipelineStep[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const pipeline = new TenantPipeline(steps, (client as unknown as ClientTypes)._types, (error) => (error ? reject(error) : resolve()));
    void client.query(pipeline as unknown as pg.QueryConfig);
  });
}

/**
 * Fail fast when the installed pg no longer supports the pipeline: run one on `client` and check that
 * the scope reached the statement and was gone after it. Called when a store opens.
 */
export async function assertPipelineSupport(client: pg.ClientBase): Promise<void> {
  const probe = '00000000-0000-4000-8000-0000000000aa';
  let seen: unknown;
  try {
    const [result] = await runTenantPipeline(client, probe, [{ statement: { text: "SELECT current_setting('thread_store.tenant_id', true) AS scope" }, params: [] }]);
    seen = result?.rows[0]?.scope;
  } catch (error) {
    throw new Error(`pg-thread-store: the installed ${pgVersion()} cannot run a tenant pipeline: ${error instanceof Error ? error.message : String(error)}`);
  }
  const after = await client.query<{ scope: string | null }>("SELECT current_setting('thread_store.tenant_id', true) AS scope");
  if (seen !== probe || (after.rows[0]?.scope ?? '') !== '') {
    throw new Error(`pg-thread-store: the installed ${pgVersion()} does not run tenant pipelines as expected (scope seen: ${String(seen)}, after: ${String(after.rows[0]?.scope)}); use pg 8.x as pinned in package.json`);
  }
}

function pgVersion(): string {
  try {
    return `pg ${(createRequire(import.meta.url)('pg/package.json') as { version: string }).version}`;
  } catch {
    return 'pg of unknown version';
  }
}
