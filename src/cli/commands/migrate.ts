// Owns `thread-store migrate`: apply pending migrations (idempotent, safe to run concurrently).
import type { Command } from 'commander';
import { migrate } from '../../db/migrate.js';
import { globalOptions, openCliDatabase } from '../connect.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create or upgrade the schema (idempotent; concurrent runs wait for each other)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const db = await openCliDatabase(globalOptions(command));
      try {
        const result = await migrate(db);
        if (opts.json) process.stdout.write(`${JSON.stringify({ location: db.location, ...result })}\n`);
        else {
          process.stdout.write(`database: ${db.location}\n`);
          process.stdout.write(result.applied.length ? `applied: ${result.applied.join(', ')}\n` : `schema is up to date (${result.alreadyApplied.length} migrations)\n`);
        }
      } finally {
        await db.close();
      }
    });
}
