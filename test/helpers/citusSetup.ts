// Global setup of the Citus suite (vitest.citus.config.ts): the coordinator in CITUS_URL (a
// throwaway cluster: .ci/run starts one with shared/citus/cluster.sh) is migrated and distributed
// once, exactly as an operator would (`thread-store migrate`, `thread-store distribute`), and every
// test file then runs on that one database as the application role.
import type { TestProject } from 'vitest/node';
import { distribute } from '../../src/db/citus.js';
import { openPostgresDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';

export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.CITUS_URL;
  if (!url) throw new Error('the Citus suite needs CITUS_URL (a Citus coordinator, e.g. from shared/citus/cluster.sh)');
  const db = openPostgresDatabase({ url, maxConnections: 1 });
  try {
    await migrate(db);
    const result = await db.withSession((s) => distribute(s));
    process.stdout.write(`[tests] database: Citus ${result.citusVersion} coordinator with ${result.workers} workers (${url})\n`);
  } finally {
    await db.close();
  }
  project.provide('serverUrl', url);
  project.provide('templateDb', null);
  project.provide('citusUrl', url);
}
