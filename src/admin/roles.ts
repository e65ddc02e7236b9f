// Owns the two-role model of a production deployment and the checks that prove it:
//  - the OWNER role (default thread_store_owner, NOLOGIN) owns the schemas, tables and functions
//    and runs migrations; members may list tenants (the tenants policy of migration 0005);
//  - the APPLICATION role thread_store_app (NOLOGIN; created by migration 0002 when the migrator
//    may create roles) is not a superuser, owns nothing, cannot bypass RLS and holds only DML
//    grants, so every row it touches goes through the tenant policies.
// Login users are members of one of them; `ALTER ROLE … SET role` makes their sessions start as
// the group role, so objects a migrator creates are owned by the owner role, not by the person.
import pg from 'pg';
import { InternalError } from '../model/errors.js';
import { APP_ROLE } from '../db/roles.js';
import type { Database, SqlExecutor } from '../db/database.js';
import { TABLES_WITHOUT_TENANT_DATA } from '../db/schema/threads.js';

export const DEFAULT_OWNER_ROLE = 'thread_store_owner';

export interface LoginSpec {
  name: string;
  /** Password for the login; omit for trust/peer/certificate authentication. */
  password?: string;
}

export interface SetupRolesOptions {
  /** Group role that owns the schema (default thread_store_owner). */
  ownerRole?: string;
  /** A LOGIN user that runs migrations as the owner role. */
  ownerLogin?: LoginSpec;
  /** A LOGIN user the application connects as; it becomes thread_store_app. */
  appLogin?: LoginSpec;
  /** Hand existing thread_store objects (e.g. migrated by a superuser) to the owner role. */
  transferOwnership?: boolean;
  /** Only return the statements; run nothing. */
  dryRun?: boolean;
}

export interface SetupRolesResult {
  /** Statements run (or, with dryRun, to run), passwords redacted. */
  statements: string[];
}

const ident = (name: string): string => pg.escapeIdentifier(name);
const literal = (value: string): string => pg.escapeLiteral(value);

/**
 * Create (or repair) the owner and application roles and optional login users, and grant what
 * each needs. Idempotent. Needs a superuser or a CREATEROLE user that may grant on the database;
 * run it on the database the store lives in (CREATE on that database goes to the owner role).
 */
export async function setupRoles(db: Database, options: SetupRolesOptions = {}): Promise<SetupRolesResult> {
  const owner = options.ownerRole ?? DEFAULT_OWNER_ROLE;
  if (owner === APP_ROLE) throw new InternalError('the owner role must not be the application role');
  return db.withSession(async (s) => {
    const exists = async (role: string) => (await s.query<{ ok: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS ok', [role])).rows[0]?.ok === true;
    const dbName = (await s.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d;
    const schemaExists = (await s.query<{ ok: boolean }>(`SELECT to_regnamespace('thread_store') IS NOT NULL AS ok`)).rows[0]?.ok === true;
    const metaExists = (await s.query<{ ok: boolean }>(`SELECT to_regnamespace('thread_store_meta') IS NOT NULL AS ok`)).rows[0]?.ok === true;
    const plan: { sql: string; shown: string }[] = [];
    const add = (sql: string, shown = sql) => plan.push({ sql, shown });

    if (!(await exists(owner))) add(`CREATE ROLE ${ident(owner)} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`);
    add(`GRANT CREATE, CONNECT ON DATABASE ${ident(dbName)} TO ${ident(owner)}`);
    if (!(await exists(APP_ROLE))) add(`CREATE ROLE ${ident(APP_ROLE)} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`);
    // A pre-existing role with too much power would silently void RLS: take it away.
    else add(`ALTER ROLE ${ident(APP_ROLE)} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`);
    add(`GRANT CONNECT ON DATABASE ${ident(dbName)} TO ${ident(APP_ROLE)}`);

    for (const [login, group] of [
      [options.ownerLogin, owner],
      [options.appLogin, APP_ROLE],
    ] as const) {
      if (!login) continue;
      if (login.name === owner || login.name === APP_ROLE) throw new InternalError(`login ${login.name} must differ from the group roles`);
      const password = login.password !== undefined ? ` PASSWORD ${literal(login.password)}` : '';
      const shown = login.password !== undefined ? ` PASSWORD '***'` : '';
      if (!(await exists(login.name))) {
        add(`CREATE ROLE ${ident(login.name)} LOGIN NOSUPERUSER NOBYPASSRLS${password}`, `CREATE ROLE ${ident(login.name)} LOGIN NOSUPERUSER NOBYPASSRLS${shown}`);
      } else if (password) {
        add(`ALTER ROLE ${ident(login.name)}${password}`, `ALTER ROLE ${ident(login.name)}${shown}`);
      }
      add(`GRANT ${ident(group)} TO ${ident(login.name)}`);
      // Sessions of the login start as the group role: objects it creates belong to the group.
      add(`ALTER ROLE ${ident(login.name)} IN DATABASE ${ident(dbName)} SET role = ${literal(group)}`);
    }

    if (options.transferOwnership && schemaExists) {
      const objects = await s.query<{ kind: string; name: string }>(
        `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS kind,
                format('%I.%I', n.nspname, c.relname) AS name
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname IN ('thread_store', 'thread_store_meta') AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
         UNION ALL
         SELECT 'FUNCTION', p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname IN ('thread_store', 'thread_store_meta')
          ORDER BY 1, 2`,
      );
      add(`ALTER SCHEMA thread_store OWNER TO ${ident(owner)}`);
      if (metaExists) add(`ALTER SCHEMA thread_store_meta OWNER TO ${ident(owner)}`);
      for (const o of objects.rows) add(`ALTER ${o.kind} ${o.name} OWNER TO ${ident(owner)}`);
    }
    if (schemaExists) {
      add(`GRANT USAGE ON SCHEMA thread_store TO ${ident(APP_ROLE)}`);
      add(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA thread_store TO ${ident(APP_ROLE)}`);
      add(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA thread_store TO ${ident(APP_ROLE)}`);
      // Objects later migrations create (as the owner role) get the same grants.
      add(`ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(owner)} IN SCHEMA thread_store GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${ident(APP_ROLE)}`);
      add(`ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(owner)} IN SCHEMA thread_store GRANT EXECUTE ON FUNCTIONS TO ${ident(APP_ROLE)}`);
    }
    if (metaExists) {
      add(`GRANT USAGE ON SCHEMA thread_store_meta TO ${ident(APP_ROLE)}`);
      add(`GRANT SELECT ON ALL TABLES IN SCHEMA thread_store_meta TO ${ident(APP_ROLE)}`);
    }
    if (!options.dryRun) {
      await s.query('BEGIN');
      try {
        for (const step of plan) await s.query(step.sql);
        await s.query('COMMIT');
      } catch (error) {
        await s.query('ROLLBACK').catch(() => {});
        const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new InternalError(`setup-roles failed (${message}); run it as a superuser or a CREATEROLE user with grant rights on the database`, { cause: error });
      }
    }
    return { statements: plan.map((p) => p.shown) };
  });
}

export interface RoleFacts {
  role: string;
  exists: boolean;
  superuser: boolean;
  bypassRls: boolean;
  canLogin: boolean;
  /** thread_store objects this role (or a role it belongs to) owns. */
  owns: string[];
  /** Whether it is a member of the role that owns thread_store.tenants (would let it list tenants). */
  memberOfOwner: boolean;
}

export interface SecurityReport {
  app: RoleFacts;
  /** Tables and partitions of thread_store without ENABLE + FORCE row level security. */
  tablesWithoutForcedRls: string[];
  /** Tables and partitions with no policy covering all commands with both USING and WITH CHECK. */
  tablesWithoutTenantPolicy: string[];
  /** Policies other than tenant_isolation, which could widen access. */
  unexpectedPolicies: string[];
  /** Views (and materialized views) that run with their owner's rights instead of the caller's. */
  viewsWithoutSecurityInvoker: string[];
  /** SECURITY DEFINER functions in thread_store (they run as their owner, around RLS). */
  securityDefinerFunctions: string[];
  /** True when the application role cannot see or write a row outside its tenant's policy. */
  sound: boolean;
}

/** What the catalog says about the application role and the schema's row security. */
export async function securityReport(db: Database, appRole = APP_ROLE): Promise<SecurityReport> {
  return db.withSession(async (s) => readSecurityReport(s, appRole));
}

async function readSecurityReport(s: SqlExecutor, appRole: string): Promise<SecurityReport> {
  const { rows } = await s.query<{ exists: boolean; rolsuper: boolean | null; rolbypassrls: boolean | null; rolcanlogin: boolean | null }>(
    `SELECT r.rolname IS NOT NULL AS exists, r.rolsuper, r.rolbypassrls, r.rolcanlogin
       FROM (SELECT 1) one LEFT JOIN pg_roles r ON r.rolname = $1`,
    [appRole],
  );
  const r = rows[0]!;
  const owns = r.exists
    ? (
        await s.query<{ name: string }>(
          `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('thread_store', 'thread_store_meta') AND pg_has_role($1, c.relowner, 'MEMBER')
           UNION ALL
           SELECT nspname FROM pg_namespace WHERE nspname IN ('thread_store', 'thread_store_meta') AND pg_has_role($1, nspowner, 'MEMBER')
           ORDER BY 1`,
          [appRole],
        )
      ).rows.map((x) => x.name)
    : [];
  const memberOfOwner =
    r.exists &&
    (
      await s.query<{ ok: boolean }>(
        `SELECT coalesce(pg_has_role($1, c.relowner, 'MEMBER'), false) AS ok FROM pg_class c WHERE c.oid = to_regclass('thread_store.tenants')`,
        [appRole],
      )
    ).rows[0]?.ok === true;
  // The tenant policy must cover every command (polcmd '*') and compare with the transaction's
  // tenant scope both when reading (USING) and when writing (WITH CHECK). The tables that hold no
  // tenant data (TABLES_WITHOUT_TENANT_DATA) are exempt — and must really have no tenant column.
  const tables = await s.query<{ name: string; forced: boolean; policy: boolean; tenant_column: boolean }>(
    `SELECT c.relname AS name, c.relrowsecurity AND c.relforcerowsecurity AS forced,
            EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polcmd = '*'
                      AND pg_get_expr(p.polqual, p.polrelid) LIKE '%current_tenant_ids()%'
                      AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%current_tenant_id%') AS policy,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant_column
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'thread_store' AND c.relkind IN ('r', 'p') ORDER BY 1`,
  );
  const exempt = (t: { name: string; tenant_column: boolean }) => TABLES_WITHOUT_TENANT_DATA.includes(t.name) && !t.tenant_column;
  // Permissive policies are OR-ed: any other one could widen what the application role sees.
  const extra = await s.query<{ name: string }>(
    `SELECT format('%s.%s', c.relname, p.polname) AS name FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'thread_store' AND p.polname <> 'tenant_isolation'
      ORDER BY 1`,
  );
  // A view runs with its owner's rights unless security_invoker; a SECURITY DEFINER function runs
  // as its owner. Either would let the application role read through the owner (who may be a
  // superuser and bypass RLS).
  const views = await s.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'thread_store' AND c.relkind IN ('v', 'm')
        AND NOT coalesce('security_invoker=true' = ANY(c.reloptions) OR 'security_invoker=on' = ANY(c.reloptions), false)
      ORDER BY 1`,
  );
  const definers = await s.query<{ name: string }>(
    `SELECT p.oid::regprocedure::text AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'thread_store' AND p.prosecdef ORDER BY 1`,
  );
  const app: RoleFacts = {
    role: appRole,
    exists: r.exists,
    superuser: r.rolsuper === true,
    bypassRls: r.rolbypassrls === true,
    canLogin: r.rolcanlogin === true,
    owns,
    memberOfOwner,
  };
  const tablesWithoutForcedRls = tables.rows.filter((t) => !t.forced && !exempt(t)).map((t) => t.name);
  const tablesWithoutTenantPolicy = tables.rows.filter((t) => !t.policy && !exempt(t)).map((t) => t.name);
  const unexpectedPolicies = extra.rows.map((x) => x.name);
  const viewsWithoutSecurityInvoker = views.rows.map((x) => x.name);
  const securityDefinerFunctions = definers.rows.map((x) => x.name);
  return {
    app,
    tablesWithoutForcedRls,
    tablesWithoutTenantPolicy,
    unexpectedPolicies,
    viewsWithoutSecurityInvoker,
    securityDefinerFunctions,
    sound:
      app.exists &&
      !app.superuser &&
      !app.bypassRls &&
      owns.length === 0 &&
      !memberOfOwner &&
      tablesWithoutForcedRls.length === 0 &&
      tablesWithoutTenantPolicy.length === 0 &&
      unexpectedPolicies.length === 0 &&
      viewsWithoutSecurityInvoker.length === 0 &&
      securityDefinerFunctions.length === 0,
  };
}
