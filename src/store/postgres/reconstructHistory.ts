// Owns O(tail) history reconstruction on PostgreSQL. Instead of reading a whole thread, start at
// the newest checkpoint row that carries a replacement history, read only the lines after it, and
// ask the history module whether that suffix decides everything (the checkpoint survives later
// rollbacks; turn settings are known). If a rollback reaches past it, step back to the previous
// checkpoint; if only the checkpoint's own turn is missing, read back to that turn's start. The
// whole thread is read only when no checkpoint helps.
import { analyzeCheckpointSuffix, reconstructHistory as reconstructFromLines } from '../../history/index.js';
import { scanSegments } from '../../history/replaySegments.js';
import type { StoredHistoryReconstruction } from '../ThreadStore.js';
import type { RolloutLine } from '../../model/rolloutLine.js';
import type { SqlExecutor } from '../../db/database.js';
import { InvalidRequestError, ThreadNotFoundError } from '../../model/errors.js';
import { decodeLine } from '../shared/preparedItem.js';
import { historySegments, readVirtualRange, type Segment, type VirtualRow } from './historySegments.js';
import type { ThreadRowRecord } from './threadRow.js';


/** Reading back from a checkpoint starts small (its turn start is usually close) and doubles. */
const FIRST_BACK_CHUNK = 16;
const MAX_BACK_CHUNK = 4096;

interface CheckpointRef {
  vseq: number;
  hasReplacement: boolean;
}

async function checkpointsOf(tx: SqlExecutor, tenantId: string, segments: Segment[]): Promise<CheckpointRef[]> {
  const out: CheckpointRef[] = [];
  for (const s of segments) {
    const { rows } = await tx.query<{ seq: number; has_replacement: boolean }>(
      `SELECT seq, replacement_history_size IS NOT NULL AS has_replacement FROM thread_store.thread_checkpoints
        WHERE tenant_id = $1 AND thread_id = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq`,
      [tenantId, s.threadId, s.lo, s.hi],
    );
    for (const r of rows) out.push({ vseq: Number(r.seq) + s.offset, hasReplacement: r.has_replacement });
  }
  return out.sort((a, b) => a.vseq - b.vseq);
}

const lines = (rows: VirtualRow[]): RolloutLine[] => rows.map((r) => r.line);


export async function reconstructStoredHistory(tx: SqlExecutor, tenantId: string, row: ThreadRowRecord): Promise<StoredHistoryReconstruction> {
  const segments = await historySegments(tx, tenantId, row);
  const checkpoints = await checkpointsOf(tx, tenantId, segments);
  const compactedBefore = (vseq: number) => checkpoints.filter((c) => c.vseq < vseq).length;
  let tail: VirtualRow[] = [];
  let itemsRead = 0;
  const candidates = checkpoints.filter((c) => c.hasReplacement).reverse();
  for (const cp of candidates) {
    const upTo = tail.length > 0 ? tail[0]!.vseq : null;
    const chunk = await readVirtualRange(tx, tenantId, segments, {
      after: cp.vseq - 1,
      ...(upTo !== null ? { limit: upTo - cp.vseq } : {}),
    });
    itemsRead += chunk.length;
    tail = [...chunk, ...tail];
    const analysis = analyzeCheckpointSuffix(lines(tail));
    if (!analysis.checkpointSurvives) continue;
    // The checkpoint survives. Its own turn, or earlier user turns, may still hold the turn
    // settings and reference context: read backwards in growing chunks until Codex's reverse scan
    // would stop inside what we hold (base, settings and reference all known from finalized turns).
    let head: VirtualRow[] = [];
    let chunkSize = FIRST_BACK_CHUNK;
    for (;;) {
      const combined = lines([...head, ...tail]);
      const scan = scanSegments(combined, { earlyStop: true, finalizeOpenSegment: false });
      const settled = analysis.selfContained || (scan.baseIndex !== null && scan.previousTurnSettings !== null && scan.reference.kind !== 'never');
      const from = head[0]?.vseq ?? cp.vseq;
      const back = settled || from === 0 ? [] : await readVirtualRange(tx, tenantId, segments, { after: from, direction: 'desc', limit: chunkSize });
      itemsRead += back.length;
      if (back.length === 0) {
        const result = reconstructFromLines(combined, { compactedLinesBefore: compactedBefore(from) });
        // Report the base as a seq of the whole thread, not an index into what was read.
        const base = result.baseCheckpointIndex === null ? null : result.baseCheckpointIndex + from;
        return { ...result, baseCheckpointIndex: base, itemsRead, checkpointSeq: cp.vseq };
      }
      head = [...back.reverse(), ...head];
      chunkSize = Math.min(chunkSize * 2, MAX_BACK_CHUNK);
    }
  }
  const all = await readVirtualRange(tx, tenantId, segments);
  return { ...reconstructFromLines(lines(all)), itemsRead: all.length, checkpointSeq: null };
}

interface ResumeTailRow {
  state: 'missing' | 'fork' | 'ok';
  archived: boolean;
  checkpoint_seq: number | null;
  start_seq: number | null;
  compacted_before: number | null;
  seq: number | null;
  turn_id: string | null;
  ts: string;
  type: string;
  payload: unknown;
  extra: unknown;
  raw_line: string | null;
}

/**
 * The one-round-trip path (thread_store.resume_tail): the lines from the start of the newest
 * checkpoint's turn. Returns null when that is not enough (a fork, a rollback reaching past the
 * checkpoint, settings that live in earlier turns) and the general path must answer.
 */
export async function fastResume(session: SqlExecutor, tenantId: string, threadId: string, includeArchived: boolean): Promise<StoredHistoryReconstruction | null> {
  const { rows } = await session.query<ResumeTailRow>('SELECT * FROM thread_store.resume_tail($1, $2)', [tenantId, threadId]);
  const head = rows[0];
  if (!head || head.state === 'missing') throw new ThreadNotFoundError(threadId);
  if (head.archived && !includeArchived) throw new InvalidRequestError(`thread ${threadId} is archived`);
  if (head.state === 'fork') return null;
  const all = rows.map((r) => decodeLine(r));
  const start = Number(head.start_seq ?? 0);
  if (head.checkpoint_seq === null) {
    return { ...reconstructFromLines(all), itemsRead: all.length, checkpointSeq: null };
  }
  const cp = Number(head.checkpoint_seq);
  if (!analyzeCheckpointSuffix(all.slice(cp - start)).checkpointSurvives) return null;
  const scan = scanSegments(all, { earlyStop: true, finalizeOpenSegment: false });
  if (scan.baseIndex === null || scan.previousTurnSettings === null || scan.reference.kind === 'never') return null;
  const result = reconstructFromLines(all, { compactedLinesBefore: Number(head.compacted_before ?? 0) });
  return {
    ...result,
    baseCheckpointIndex: result.baseCheckpointIndex === null ? null : result.baseCheckpointIndex + start,
    itemsRead: all.length,
    checkpointSeq: cp,
  };
}
