// Owns `thread-store distribute`: turn a migrated database on a Citus coordinator into the
// distributed layout (src/db/citus.ts, docs/SCALING.md §1). Idempotent; refuses on a server without Citus.
import type { Command } from 'commander';
import { distribute } from '../../db/citus.js';
import { globalOptions, openCliDatabase } from '../connect.js';

export function registerDistribute(program: Command): void {
  program
    .command('distribute')
    .description('on a Citus coordinator: distribute the migrated schema by tenant (idempotent; run migrate first)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const db = await openCliDatabase(globalOptions(command));
      try {
        const result = await db.withSession((session) => distribute(session));
        if (opts.json) process.stdout.write(`${JSON.stringify({ location: db.location, ...result })}\n`);
        else {
          process.stdout.write(`database: ${db.location} (Citus ${result.citusVersion}, ${result.workers} workers)\n`);
          if (result.alreadyInPlace) process.stdout.write('already distributed: nothing to do\n');
          else {
            if (result.distributed.length) process.stdout.write(`distributed by tenant_id: ${result.distributed.join(', ')}\n`);
            if (result.reference.length) process.stdout.write(`reference tables: ${result.reference.join(', ')}\n`);
            if (result.policiesRewritten.length) process.stdout.write(`policies in their Citus form: ${result.policiesRewritten.length} tables\n`);
          }
        }
      } finally {
        await db.close();
      }
    });
}
