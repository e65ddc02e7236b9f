// `pg-thread-store/history`: Codex's history semantics as pure functions — reconstruction of the
// model-visible history (compaction checkpoints, rollbacks, window lineage), `<token_budget>`
// fragments, fork snapshots, the persistence policy (which rollout lines are stored) and the
// metadata Codex derives from a thread's lines. No I/O.
export * from '../history/index.js';
export { isPersistedRolloutItem, persistedRolloutItems } from '../history/persistencePolicy.js';
export { ThreadMetadataSync, deriveMetadataFromItems } from '../history/metadataSync.js';
export type { ThreadMetadataSyncOptions, PendingMetadataUpdate } from '../history/metadataSync.js';
