// The Citus suite: the store's paths on a distributed database (src/db/citus.ts), as the application
// role with row-level security, against the coordinator in CITUS_URL. `.ci/run` starts a throwaway
// cluster and runs it; by hand: CITUS_URL=postgresql://postgres@127.0.0.1:25501/postgres npx vitest run -c vitest.citus.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/citus/**/*.test.ts',
      'test/contract/postgres.test.ts',
      'test/security/isolation.property.test.ts',
      'test/live/groupCommit.test.ts',
      'test/live/crash.test.ts',
      'test/live/claims.test.ts',
      'test/security/tenancy.test.ts',
      'test/analytics/views.test.ts',
      'test/store/resumePoint.test.ts',
      'test/codex/codexCli.test.ts',
    ],
    globalSetup: ['test/helpers/citusSetup.ts'],
    // Every statement pays a coordinator-to-worker hop (docs/SCALING.md §1), and the machine is often
    // shared: room for a slow run (the isolation property test takes ~10 s on the cluster here; it
    // took 80–170 s while search still asked every shard).
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time: they share the cluster's one database.
    fileParallelism: false,
  },
});
