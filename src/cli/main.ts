// Owns the `thread-store` command line: global options, subcommands, exit codes
// (0 ok, 1 failure, 2 usage). Each subcommand lives in its own module under src/cli/commands/.
import { Command, CommanderError } from 'commander';
import { isThreadStoreError } from '../model/errors.js';
import { registerMigrate } from './commands/migrate.js';
import { registerDistribute } from './commands/distribute.js';
import { registerDoctor } from './commands/doctor.js';
import { registerImport } from './commands/import.js';
import { registerExport } from './commands/export.js';
import { registerList } from './commands/list.js';
import { registerShow } from './commands/show.js';
import { registerStats } from './commands/stats.js';
import { registerTenants } from './commands/tenants.js';
import { registerPurge } from './commands/purge.js';
import { registerSetupRoles } from './commands/setupRoles.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface GlobalOptions {
  databaseUrl?: string;
  dataDir?: string;
  json?: boolean;
}

export function buildProgram(): Command {
  const program = new Command('thread-store')
    .description('Store Codex conversation threads in PostgreSQL: migrate, doctor, import, export, list, show, stats')
    .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL, else the embedded database)')
    .option('--data-dir <dir>', 'embedded database directory', './.thread-store')
    .showHelpAfterError()
    .exitOverride();
  registerMigrate(program);
  registerDistribute(program);
  registerDoctor(program);
  registerImport(program);
  registerExport(program);
  registerList(program);
  registerShow(program);
  registerStats(program);
  registerTenants(program);
  registerPurge(program);
  registerSetupRoles(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return EXIT_OK;
      return EXIT_USAGE;
    }
    const message = isThreadStoreError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`thread-store: ${message}\n`);
    return EXIT_FAILURE;
  }
}
