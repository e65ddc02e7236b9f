// Owns the public surface of the history package: Codex's pure history semantics (reconstruction,
// rollback, compaction lineage, token-budget fragments, fork snapshots). No I/O lives here.
export {
  type WindowLineage,
  type ReconstructedWindow,
  initialLineage,
  advanceLineage,
  restoreLineage,
  compactedLineageFields,
} from './windowLineage.js';
export {
  SUMMARY_PREFIX,
  CONTEXTUAL_DEVELOPER_PREFIXES,
  type MessageView,
  isContextualUserText,
  isContextualDeveloperText,
  isSummaryText,
  messageView,
  isContextualUserMessage,
  isContextualDeveloperMessage,
  isSummaryMessage,
  isRealUserMessage,
  isUserTurnBoundary,
  userMessageText,
} from './contextualFragments.js';
export {
  TOKEN_BUDGET_OPEN_MARKER,
  TOKEN_BUDGET_CLOSE_MARKER,
  type TokenBudgetLineageInput,
  type TokenBudgetReminderState,
  renderTokenBudget,
  renderTokenBudgetForLineage,
  renderTokenBudgetRemaining,
  renderTokenBudgetReminder,
  tokenBudgetDeveloperMessage,
  claimTokenBudgetReminder,
} from './tokenBudget.js';
export { type DropUserTurnsOptions, userTurnPositions, dropLastNUserTurns } from './dropUserTurns.js';
export {
  COMPACT_USER_MESSAGE_MAX_TOKENS,
  approxTokenCount,
  truncateMiddleToTokens,
  collectUserMessages,
  buildCompactedHistory,
  rebuildAfterLegacyCompaction,
} from './legacyCompaction.js';
export {
  type PreviousTurnSettings,
  type ReferenceContext,
  type ReferenceState,
  type SegmentScanOptions,
  type SegmentScanResult,
  scanSegments,
} from './replaySegments.js';
export {
  type HistoryReconstruction,
  type ReconstructOptions,
  reconstructHistory,
  interAgentCommunicationToModelItem,
} from './reconstructHistory.js';
export { type CheckpointSuffixAnalysis, rollbackReachesBefore, analyzeCheckpointSuffix } from './checkpointSuffix.js';
export {
  TURN_ABORTED_INTERRUPTED_GUIDANCE,
  TURN_ABORTED_MARKER_TEXT,
  type SnapshotTurnState,
  interruptedTurnMarker,
  userMessagePositions,
  snapshotTurnState,
  truncateBeforeNthUserMessage,
  interruptedSnapshot,
} from './forkSnapshot.js';
export {
  eventType,
  isTurnStarted,
  isTurnComplete,
  isTurnAborted,
  isUserMessageEvent,
  rolledBackTurns,
} from './rolloutEvents.js';
