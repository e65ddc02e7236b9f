// Owns the in-memory answer to `reconstructHistory`: Codex's reconstruction over the thread's lines,
// started at the newest replacement-history checkpoint whose suffix is self-contained (so the
// result equals a full read), else over the whole history. `baseCheckpointIndex` and
// `checkpointSeq` are seqs, i.e. indexes into the thread's full history.
import { readCompacted } from '../../model/compacted.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import { analyzeCheckpointSuffix } from '../../history/checkpointSuffix.js';
import { reconstructHistory } from '../../history/reconstructHistory.js';
import type { StoredHistoryReconstruction } from '../ThreadStore.js';

function isCheckpoint(line: StoredRolloutLine): boolean {
  return line.type === 'compacted' && readCompacted(line.payload).replacementHistory !== null;
}

/** `seqs[i]` is the seq of `lines[i]` (default: its position). */
export function reconstructFromLines(lines: readonly StoredRolloutLine[], seqs?: readonly number[]): StoredHistoryReconstruction {
  for (let seq = lines.length - 1; seq >= 0; seq -= 1) {
    if (!isCheckpoint(lines[seq]!)) continue;
    const suffix = lines.slice(seq);
    if (!analyzeCheckpointSuffix(suffix).selfContained) continue;
    const compactedLinesBefore = lines.slice(0, seq).filter((l) => l.type === 'compacted').length;
    const result = reconstructHistory(suffix, { compactedLinesBefore });
    return structuredClone({
      ...result,
      baseCheckpointIndex: result.baseCheckpointIndex === null ? null : result.baseCheckpointIndex + seq,
      itemsRead: suffix.length,
      checkpointSeq: seqs?.[seq] ?? seq,
    });
  }
  return structuredClone({ ...reconstructHistory(lines), itemsRead: lines.length, checkpointSeq: null });
}
