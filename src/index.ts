// The root of the public API (`pg-thread-store`): open a store, the ThreadStore contract of one
// tenant, LiveThread and ThreadManager on top of it, the errors, and the model's types. Everything
// else is a subpath: `/admin` (migrations, roles, tenants, quotas, purge), `/analytics`, `/codex`
// (CODEX_HOME import/export, Codex's app-server views), `/history` (Codex's history semantics) and
// `/memory` (the in-memory store). docs/ARCHITECTURE.md says which module owns what.
export { openThreadStore, DEFAULT_DATA_DIR } from './store/openThreadStore.js';
export type { OpenThreadStoreOptions } from './store/openThreadStore.js';
export type { AppendOptions, StoredHistoryReconstruction, ThreadIdParams, ThreadStore, ThreadStoreService, WriterStats } from './store/ThreadStore.js';
export type { GroupCommitOptions } from './store/postgres/groupCommitWriter.js';
export type { SearchIndexerOptions } from './store/postgres/searchIndex.js';
export type { ItemLimits } from './store/shared/preparedItem.js';

export { LiveThread } from './live/LiveThread.js';
export type { LiveThreadLogger, LiveThreadOptions, UpdateMetadataOptions } from './live/LiveThread.js';
export { ThreadManager } from './manager/ThreadManager.js';
export type { CreateThreadOptions, ForkParams, LoadedThread, StartThreadOptions, ThreadManagerOptions, UpdateThreadMetadataOptions } from './manager/ThreadManager.js';

export {
  ThreadStoreError,
  ThreadNotFoundError,
  InvalidRequestError,
  ConflictError,
  UnsupportedError,
  ResourceExhaustedError,
  InternalError,
  isThreadStoreError,
  type ThreadStoreErrorCode,
  type ErrorDetails,
} from './model/errors.js';

// The model: ids, the JSON shape limits a value must meet, and the types of everything a call takes or returns.
export { newUuidV7, isUuid, isUuidV7, normalizeId } from './model/ids.js';
export { MAX_JSON_DEPTH, jsonValueProblem, type JsonValueProblem } from './model/jsonValue.js';
export { MAX_PAGE_SIZE } from './model/params.js';
export type * from './model/params.js';
export type * from './model/thread.js';
export type { RolloutLine, StoredRolloutLine, KnownRolloutType } from './model/rolloutLine.js';
export type { ThreadMetadataPatch, ThreadMetadataPatchInput, GitInfoPatch } from './model/patch.js';
export type { CompactionCheckpoint } from './model/compacted.js';
export type { HistoryReconstruction } from './history/reconstructHistory.js';
export type { WindowLineage } from './history/windowLineage.js';
