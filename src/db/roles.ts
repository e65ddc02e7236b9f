// Owns the name of the application role the migrations create (thread_store_app: no superuser,
// owns nothing, cannot bypass row-level security) and whether a session may switch to it — the
// condition under which openThreadStore runs every statement as that role.
import type { Database } from './database.js';

export const APP_ROLE = 'thread_store_app';

/**
 * Whether this connection's login may `SET ROLE` to `role` (the role exists and the login is a
 * member). openThreadStore switches to the application role under the same condition; the CLI
 * asks it after resolving a tenant name with the login's own rights (see src/cli/connect.ts).
 */
export async function canSetRole(db: Database, role = APP_ROLE): Promise<boolean> {
  return db.withSession(async (s) => {
    const { rows } = await s.query<{ ok: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'MEMBER') AS ok`, [role]);
    return rows[0]?.ok === true;
  });
}
