// Owns the public surface of the CODEX_HOME exporter.
export { exportCodexHome, type ExportOptions, type ExportProgress, type ExportProblem, type ExportSummary } from './exporter.js';
export type { CodexSqliteResult } from './codexSqlite.js';
