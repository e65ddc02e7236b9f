// The public API of pg-thread-store. Everything a user imports comes from here.
export { openThreadStore, openDatabase, DEFAULT_DATA_DIR, APP_ROLE } from './store/openThreadStore.js';
export type { OpenThreadStoreOptions, ThreadStoreService } from './store/openThreadStore.js';
export type { ThreadStore, AppendOptions, ThreadIdParams } from './store/ThreadStore.js';
export type { GroupCommitOptions } from './store/postgres/groupCommitWriter.js';
export type { ItemLimits } from './store/shared/preparedItem.js';
export { migrate, schemaStatus } from './db/migrate.js';
export type { MigrationResult, SchemaStatus } from './db/migrate.js';
export type { Database, SqlExecutor } from './db/database.js';

export * from './model/errors.js';
export { newUuidV7, isUuid, isUuidV7, normalizeId } from './model/ids.js';
export { MAX_JSON_DEPTH, jsonValueProblem, type JsonValueProblem } from './model/jsonValue.js';
export { parseRolloutLine, parseRolloutLineText, serializeRolloutLine, KNOWN_ROLLOUT_TYPES } from './model/rolloutLine.js';
export type { RolloutLine, StoredRolloutLine, KnownRolloutType } from './model/rolloutLine.js';
export { readCompacted } from './model/compacted.js';
export type { CompactionCheckpoint } from './model/compacted.js';
export { parsePatch, mergePatch, isEmptyPatch, patchFromWire, patchToWire } from './model/patch.js';
export type { ThreadMetadataPatch, GitInfoPatch } from './model/patch.js';
export type * from './model/thread.js';
export type * from './model/params.js';

export { isPersistedRolloutItem, persistedRolloutItems } from './history/persistencePolicy.js';
export { ThreadMetadataSync, deriveMetadataFromItems } from './history/metadataSync.js';

export { LiveThread, LiveThreadInitGuard, initializeLiveThread } from './live/LiveThread.js';
export type { LiveThreadOptions, LiveThreadLogger, UpdateMetadataOptions } from './live/LiveThread.js';
export { ThreadManager } from './manager/ThreadManager.js';
export type { StoredHistoryReconstruction } from './store/ThreadStore.js';
export { InMemoryThreadStoreService } from './store/memory/InMemoryThreadStore.js';
export * from './history/index.js';
export * from './admin/index.js';
export * from './analytics/index.js';
export { importCodexHome, type ImportOptions, type ImportSummary } from './codex/import/index.js';
export { exportCodexHome, type ExportOptions, type ExportSummary } from './codex/export/index.js';
// What Codex's app-server answers for a stored thread (thread/list, thread/read with turns and items).
export { toCodexThread, codexTurns, codexSessionSource } from './codex/appServer.js';
export type { CodexThread, CodexTurn, CodexThreadView, CodexGitInfo, CodexThreadSection } from './codex/appServer.js';
export type { ThreadItemJson } from './codex/history/threadItem.js';
