// `pg-thread-store/codex`: moving threads between a tenant's store and Codex's local files — import
// a CODEX_HOME, export one that the real Codex CLI reads as it read the original — and what Codex's
// app-server answers for a stored thread (thread/list, thread/read with turns and items). Import and
// export take the tenant's store (`service.forTenant(id)`), on PostgreSQL or in memory.
export { importCodexHome, type ImportOptions, type ImportProgress, type ImportSummary } from '../codex/import/importer.js';
export type { ImportProblem } from '../codex/import/plan.js';
export type { ThreadOutcome } from '../codex/import/importThread.js';
export { exportCodexHome, type ExportOptions, type ExportProblem, type ExportProgress, type ExportSummary } from '../codex/export/exporter.js';
export type { CodexSqliteResult } from '../codex/export/codexSqlite.js';
export { toCodexThread, codexTurns, codexSessionSource } from '../codex/appServer.js';
export type { CodexThread, CodexTurn, CodexThreadView, CodexGitInfo, CodexThreadSection } from '../codex/appServer.js';
export type { ThreadItemJson } from '../codex/history/threadItem.js';
