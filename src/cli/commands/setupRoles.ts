// Owns `thread-store setup-roles`: create the owner role and the application role (and optional
// LOGIN users for each), grant what each needs, optionally hand an existing schema to the owner
// role, and `--check` prints the security report (application role not superuser, owns nothing,
// no BYPASSRLS; every table forced RLS with a tenant policy). Run it as a superuser; passwords are
// read from environment variables so they never appear in the process list or shell history.
import type { Command } from 'commander';
import { securityReport, setupRoles, type LoginSpec } from '../../admin/index.js';
import { globalOptions, openCliDatabase } from '../connect.js';

interface SetupRolesCliOptions {
  ownerRole?: string;
  ownerLogin?: string;
  appLogin?: string;
  ownerPasswordEnv?: string;
  appPasswordEnv?: string;
  transferOwnership?: boolean;
  dryRun?: boolean;
  check?: boolean;
  json?: boolean;
}

function login(name: string | undefined, passwordEnv: string | undefined, command: Command): LoginSpec | undefined {
  if (!name) return undefined;
  if (!passwordEnv) return { name };
  const password = process.env[passwordEnv];
  if (password === undefined) command.error(`environment variable ${passwordEnv} is not set`, { exitCode: 2 });
  return { name, password };
}

export function registerSetupRoles(program: Command): void {
  program
    .command('setup-roles')
    .description('create the owner and application roles (and login users); --check reports whether RLS is airtight')
    .option('--owner-role <name>', 'group role that owns the schema', 'thread_store_owner')
    .option('--owner-login <name>', 'LOGIN user that runs migrations as the owner role')
    .option('--app-login <name>', 'LOGIN user the application connects as (becomes thread_store_app)')
    .option('--owner-password-env <VAR>', 'read the owner login password from this environment variable')
    .option('--app-password-env <VAR>', 'read the app login password from this environment variable')
    .option('--transfer-ownership', 'hand existing thread_store objects to the owner role')
    .option('--dry-run', 'print the statements, run nothing')
    .option('--check', 'only print the security report (exit 1 when it is not sound)')
    .option('--json', 'print as JSON')
    .action(async (opts: SetupRolesCliOptions, command: Command) => {
      const db = await openCliDatabase(globalOptions(command));
      try {
        if (!opts.check) {
          const ownerLogin = login(opts.ownerLogin, opts.ownerPasswordEnv, command);
          const appLogin = login(opts.appLogin, opts.appPasswordEnv, command);
          const result = await setupRoles(db, {
            ...(opts.ownerRole ? { ownerRole: opts.ownerRole } : {}),
            ...(ownerLogin ? { ownerLogin } : {}),
            ...(appLogin ? { appLogin } : {}),
            transferOwnership: opts.transferOwnership ?? false,
            dryRun: opts.dryRun ?? false,
          });
          if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
          else process.stdout.write(`${result.statements.map((s) => `${s};`).join('\n')}\n${opts.dryRun ? '(dry run: nothing was changed)' : 'done'}\n`);
          if (opts.dryRun) return;
        }
        const report = await securityReport(db);
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else {
          const a = report.app;
          const lines = [
            `application role ${a.role}: ${a.exists ? `superuser=${a.superuser} bypassrls=${a.bypassRls} login=${a.canLogin} owns=${a.owns.length ? a.owns.join(',') : 'nothing'} member-of-owner=${a.memberOfOwner}` : 'MISSING'}`,
            `tables without forced RLS: ${report.tablesWithoutForcedRls.join(', ') || 'none'}`,
            `tables without a tenant policy (all commands, USING + WITH CHECK): ${report.tablesWithoutTenantPolicy.join(', ') || 'none'}`,
            `other policies: ${report.unexpectedPolicies.join(', ') || 'none'}`,
            `views without security_invoker: ${report.viewsWithoutSecurityInvoker.join(', ') || 'none'}`,
            `SECURITY DEFINER functions: ${report.securityDefinerFunctions.join(', ') || 'none'}`,
            `status: ${report.sound ? 'sound' : 'NOT SOUND'}`,
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (!report.sound) process.exitCode = 1;
      } finally {
        await db.close();
      }
    });
}
