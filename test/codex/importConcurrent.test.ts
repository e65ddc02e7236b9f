// Two imports of the same CODEX_HOME into one tenant at the same time (issue 15, point 3), as
// overlapping cron runs of migration tooling do: they cooperate. Each thread is imported by one run
// and reported unchanged by the other (which waited for it), both succeed, and the tenant ends
// exactly as after a single import. Against PostgreSQL: two real `thread-store import` processes,
// then two in-process imports racing on one pool. The embedded PGlite is one process with one
// connection (transactions cannot overlap), so there only the in-process pair runs.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { importCodexHome, type ImportSummary } from '../../src/codex/import/index.js';
import type { Database } from '../../src/db/database.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { runCliProcess } from '../cli/helpers.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dumpTenant, SAMPLE_HOME } from './helpers.js';

let test: TestDatabase;
let service: PostgresThreadStoreService;
let owner: Database;
/** The tenant a single, uncontested import fills: the reference end state. */
const reference = randomUUID();

beforeAll(async () => {
  test = await createTestDatabase();
  service = await test.openStore();
  owner = await test.openOwner();
  const single = await importCodexHome({ store: service.forTenant(reference), codexHome: SAMPLE_HOME });
  expect(single.threads).toMatchObject({ total: 25, imported: 25, failed: 0 });
}, 120_000);

afterAll(async () => {
  await service?.close();
  await test?.drop();
});

/** Both runs together: every thread imported once, reported unchanged by the other run, nothing failed. */
function expectCooperated(a: ImportSummary, b: ImportSummary): void {
  for (const s of [a, b]) {
    expect(s.threads).toMatchObject({ total: 25, updated: 0, conflict: 0, failed: 0 });
    expect(s.problems.filter((p) => p.kind === 'thread')).toEqual([]);
    expect(s.interrupted).toBe(false);
  }
  expect(a.threads.imported + b.threads.imported).toBe(25);
  expect(a.threads.unchanged + b.threads.unchanged).toBe(25);
}

/** The tenant's rows equal the reference tenant's (what one import leaves). */
async function expectSameAsOneImport(tenantId: string): Promise<void> {
  const [mine, single] = await Promise.all([dumpTenant(owner, tenantId), dumpTenant(owner, reference)]);
  expect(mine.threads).toHaveLength(25);
  expect(mine).toEqual(single);
}

/** Two processes need a server; the embedded database lives inside one process. */
const onServer = Boolean(inject('serverUrl'));

describe('concurrent imports of one CODEX_HOME into one tenant', () => {
  it.skipIf(!onServer)('two `thread-store import` processes at once both exit 0, each thread imported once, same end state as one import', async () => {
    const tenantId = randomUUID();
    const target = { args: ['--database-url', test.url!], mode: 'server' as const, cleanup: async () => {} };
    // Several threads at once in each process, so the two runs meet on many threads.
    const run = () => runCliProcess(target, ['import', SAMPLE_HOME, '--tenant', tenantId, '--concurrency', '4', '--json']);
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expectCooperated(JSON.parse(a.stdout) as ImportSummary, JSON.parse(b.stdout) as ImportSummary);
    await expectSameAsOneImport(tenantId);
  }, 180_000);

  it('two imports racing in one process cooperate the same way', async () => {
    const tenantId = randomUUID();
    const run = () => importCodexHome({ store: service.forTenant(tenantId), codexHome: SAMPLE_HOME, concurrency: 4 });
    const [a, b] = await Promise.all([run(), run()]);
    expectCooperated(a, b);
    await expectSameAsOneImport(tenantId);
    // And a third run afterwards finds nothing to do.
    const again = await run();
    expect(again.threads).toMatchObject({ unchanged: 25, imported: 0 });
  }, 180_000);
});
