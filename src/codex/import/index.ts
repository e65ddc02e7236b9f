// Owns the public surface of the CODEX_HOME importer: `importCodexHome({ store, codexHome })` imports
// into the tenant of `store` (any store of this package, through its import/export port).
export { importCodexHome, MAX_PROBLEMS, type ImportOptions, type ImportProgress, type ImportSummary } from './importer.js';
export { planImport, type ImportPlan, type ImportProblem, type PlannedFile, type ThreadPlan, type ForkBase, type Cut } from './plan.js';
export { readManifest, extraWithoutManifest, DETACHED_SEQ_BASE, MANIFEST_KEY, type ImportManifest, type ManifestFile, type ManifestBaseRef } from './manifest.js';
export { SIDECAR_FILE, readSidecar, appendSidecar, formatSidecarLine, type SidecarEntry } from './sidecar.js';
export { distinctTitle, type ThreadFacts, type FactsGit } from './facts.js';
export type { ThreadOutcome } from './importThread.js';
