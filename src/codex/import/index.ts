// Owns the public surface of the CODEX_HOME importer: `importCodexHome({ store, codexHome })` imports
// into the tenant of `store` (any store of this package, through its import/export port).
//
// Kept for now: the older `{ db, tenantId }` form, which bench/import.ts (owned by the performance
// work) still calls. It wraps the database in the PostgreSQL port, so this file is the one place in
// codex/ that names a store internal — test/architecture/layers.test.ts lists it as the single
// exception, to be removed when the bench passes `store`.
import type { Database } from '../../db/database.js';
import { toThreadStoreError } from '../../model/errors.js';
import { PostgresTransfer } from '../../store/postgres/transfer.js';
import { importCodexHome as importIntoStore, importInto, type ImportOptions, type ImportSummary } from './importer.js';

export { MAX_PROBLEMS, type ImportOptions, type ImportProgress, type ImportSummary } from './importer.js';
export { planImport, type ImportPlan, type ImportProblem, type PlannedFile, type ThreadPlan, type ForkBase, type Cut } from './plan.js';
export { readManifest, extraWithoutManifest, DETACHED_SEQ_BASE, MANIFEST_KEY, type ImportManifest, type ManifestFile, type ManifestBaseRef } from './manifest.js';
export { SIDECAR_FILE, readSidecar, appendSidecar, formatSidecarLine, type SidecarEntry } from './sidecar.js';
export { distinctTitle, type ThreadFacts, type FactsGit } from './facts.js';
export type { ThreadOutcome } from './importThread.js';

/** @deprecated The form of bench/import.ts: a database handle and a tenant id instead of the tenant's store. */
export interface DatabaseImportOptions extends Omit<ImportOptions, 'store'> {
  db: Database;
  tenantId: string;
}

export function importCodexHome(options: ImportOptions | DatabaseImportOptions): Promise<ImportSummary> {
  if ('store' in options) return importIntoStore(options);
  const { db, tenantId, ...rest } = options;
  return importInto(new PostgresTransfer(db, tenantId), rest).catch((error: unknown) => {
    throw toThreadStoreError(error, 'importCodexHome');
  });
}
