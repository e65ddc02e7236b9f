// Owns the question a database-backed store asks before reading a thread: "is it enough to read from
// the newest replacement-history checkpoint onwards, or must I read further back?" The answer
// follows from phase 1 of the reconstruction: everything older than the checkpoint is irrelevant
// exactly when the checkpoint's turn survives every later rollback and the resume metadata is
// settled by lines after it.
import { InvalidRequestError } from '../model/errors.js';
import { readCompacted } from '../model/compacted.js';
import type { RolloutLine } from '../model/rolloutLine.js';
import { scanSegments } from './replaySegments.js';

/**
 * How many user turns the rollbacks in `linesAfterCheckpoint` still have to drop once they reach
 * the turn containing the checkpoint. 0: that turn (and its checkpoint) survives. N > 0: the
 * checkpoint is rolled back — its turn is dropped (counting as one of the N if it holds a user
 * message) and the caller must read further back, to an older checkpoint or the start.
 *
 * Pass the lines strictly after the `compacted` line, oldest first.
 */
export function rollbackReachesBefore(linesAfterCheckpoint: readonly RolloutLine[]): number {
  // The segment still open at the end of this scan is the checkpoint's own turn; leaving it open
  // gives the pending count it will be judged with in a full scan (same lines, same order).
  return scanSegments(linesAfterCheckpoint, { earlyStop: false, finalizeOpenSegment: false }).pendingRollbackTurns;
}

export interface CheckpointSuffixAnalysis {
  /** `rollbackReachesBefore` of the lines after the checkpoint. */
  rollbackTurnsBeyond: number;
  /** The checkpoint survives: reconstructing the suffix gives the full rollout's history. */
  checkpointSurvives: boolean;
  /** The window is settled inside the suffix (the checkpoint records a window number). */
  windowResolved: boolean;
  /**
   * Turn settings and reference context are settled by a surviving user turn after the
   * checkpoint's own turn. Otherwise they depend on lines before the checkpoint (the start of its
   * turn), and the suffix reports them as null or from a later line than a full read would.
   */
  turnMetadataResolved: boolean;
  /** All of the above: the suffix reconstructs to exactly what the full rollout does. */
  selfContained: boolean;
}

/**
 * Check a suffix that starts at a `compacted` line with replacement history. Throws
 * InvalidRequest when `items[0]` is not such a line.
 */
export function analyzeCheckpointSuffix(items: readonly RolloutLine[]): CheckpointSuffixAnalysis {
  const first = items[0];
  if (first === undefined || first.type !== 'compacted' || readCompacted(first.payload).replacementHistory === null) {
    throw new InvalidRequestError('a checkpoint suffix must start with a compacted line carrying replacement_history', {
      path: 'items[0]',
    });
  }
  const after = items.slice(1);
  const rollbackTurnsBeyond = rollbackReachesBefore(after);
  const laterTurns = scanSegments(after, { earlyStop: false, finalizeOpenSegment: false });
  const checkpointSurvives = rollbackTurnsBeyond === 0;
  const windowResolved = readCompacted(first.payload).windowNumber !== null || laterTurns.window !== null;
  const turnMetadataResolved = laterTurns.previousTurnSettings !== null && laterTurns.reference.kind !== 'never';
  return {
    rollbackTurnsBeyond,
    checkpointSurvives,
    windowResolved,
    turnMetadataResolved,
    selfContained: checkpointSurvives && windowResolved && turnMetadataResolved,
  };
}
