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
import type { Database, NamedStatement, SqlExecutor } from '../../db/database.js';
import { InvalidRequestError, ThreadNotFoundError } from '../../model/errors.js';
import { decodeLine } from '../shared/preparedItem.js';
import { historySegments, readVirtualRange, type Segment, type VirtualRow } from './historySegments.js';
import type { SelectedItemRow } from './itemRows.js';
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

/**
 * The common resume in one statement (sent with the tenant in one round trip, see
 * Database.tenantQuery): a header row (seq NULL; the threads row's flags and resume point, see
 * src/store/postgres/resumePoint.ts, as JSON in `payload`) and the lines from the resume point to
 * `last_seq`. One statement is one snapshot, so the header and the lines agree. The seq bounds are
 * InitPlans over the threads row, which keeps them in the primary-key index condition whatever the
 * partition's statistics say (as a join condition the planner may scan another (tenant, thread)
 * index and filter the whole thread: seen at 4 ms instead of 0.2 ms for 10k lines), and a header
 * row rather than header columns on every line keeps the rows as narrow as a plain range read.
 * The LIMIT is the number of seqs in the range, so it removes nothing; it tells the planner that
 * the first rows matter, which makes it read the index in order instead of sorting the lines
 * afterwards (it sorted once statistics made the range look large: +0.15 ms per resume).
 */
const RESUME_TAIL: NamedStatement = {
  name: 'thread_store_resume_tail_v3',
  // The plan (threads row by key, one partition's primary key range) is the same for every thread.
  genericPlan: true,
  text: `WITH t AS MATERIALIZED (
           SELECT archived_at IS NOT NULL AS archived, history_base_thread_id IS NOT NULL AS fork,
                  resume_checkpoint_seq, resume_seq, compactions_before_resume, last_seq
             FROM thread_store.threads WHERE tenant_id = $1 AND id = $2)
         SELECT NULL::bigint AS seq, NULL::text AS ts, NULL::text AS type,
                jsonb_build_object('archived', archived, 'fork', fork, 'checkpointSeq', resume_checkpoint_seq,
                                   'startSeq', resume_seq, 'compactedBefore', compactions_before_resume) AS payload,
                NULL::jsonb AS extra, NULL::text AS raw_line
           FROM t
         UNION ALL
         (SELECT i.seq, i.ts, i.type, i.payload, i.extra, i.raw_line FROM thread_store.thread_items i
           WHERE i.tenant_id = $1 AND i.thread_id = $2
             AND i.seq BETWEEN (SELECT resume_seq FROM t WHERE NOT fork) AND (SELECT last_seq FROM t)
           ORDER BY i.seq LIMIT (SELECT greatest(last_seq - resume_seq + 1, 0) FROM t))`,
};

interface ResumeTailHeader {
  archived: boolean;
  fork: boolean;
  checkpointSeq: number | null;
  startSeq: number;
  compactedBefore: number;
}

/**
 * The one-round-trip path: the lines from the resume point on. Returns null when that is not
 * enough (a fork, a rollback reaching past the checkpoint, settings that live in earlier turns) and
 * the general path must answer — also if the resume point and the lines ever disagree.
 */
export async function fastResume(db: Database, tenantId: string, threadId: string, includeArchived: boolean): Promise<StoredHistoryReconstruction | null> {
  const { rows } = await db.tenantQuery<SelectedItemRow>(tenantId, RESUME_TAIL, [tenantId, threadId], 'reconstructHistory');
  const headerAt = rows.findIndex((r) => r.seq === null);
  if (headerAt < 0) throw new ThreadNotFoundError(threadId);
  const header = rows[headerAt]!.payload as ResumeTailHeader;
  if (header.archived && !includeArchived) throw new InvalidRequestError(`thread ${threadId} is archived`);
  if (header.fork) return null;
  const start = Number(header.startSeq);
  // Own lines of a thread have contiguous seqs: the lines must be exactly start, start+1, ...
  const all: RolloutLine[] = [];
  for (const row of rows) {
    if (row.seq === null) continue;
    if (Number(row.seq) !== start + all.length) return null;
    all.push(decodeLine(row));
  }
  if (all.length === 0) return null;
  if (header.checkpointSeq === null) {
    return { ...reconstructFromLines(all), itemsRead: all.length, checkpointSeq: null };
  }
  const cp = Number(header.checkpointSeq);
  // Codex's reverse scan over these lines is a prefix of its scan over the whole thread (a fold
  // from the newest line). If it settles the base — this very checkpoint, so it survives every
  // later rollback — the turn settings and the reference context before reaching the first line,
  // it never needed anything older, and it is the scan the reconstruction would do itself.
  const scan = scanSegments(all, { earlyStop: true, finalizeOpenSegment: false });
  if (scan.baseIndex !== cp - start || scan.previousTurnSettings === null || scan.reference.kind === 'never') return null;
  const result = reconstructFromLines(all, { compactedLinesBefore: Number(header.compactedBefore), segmentScan: scan });
  return {
    ...result,
    baseCheckpointIndex: result.baseCheckpointIndex === null ? null : result.baseCheckpointIndex + start,
    itemsRead: all.length,
    checkpointSeq: cp,
  };
}
