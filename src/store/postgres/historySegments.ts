// Owns copy-free fork history. A fork's history is virtual: its own session_meta at seq 0, then the
// base thread's lines 0..B (seen at seq 1..B+1), then its own lines from B+2. A Segment says which
// physical rows make up one stretch of that virtual sequence; fork-of-fork chains nest.
import type { SqlExecutor } from '../../db/database.js';
import { decodeLine } from '../shared/preparedItem.js';
import type { SelectedItemRow } from './itemRows.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import type { ThreadRowRecord } from './threadRow.js';
import { findThreadRow } from './threadLookup.js';

export const OPEN_END = Number.MAX_SAFE_INTEGER;

export interface Segment {
  threadId: string;
  /** Physical seq range [lo, hi] of threadId. */
  lo: number;
  hi: number;
  /** Virtual seq = physical seq + offset. */
  offset: number;
}

const MAX_FORK_DEPTH = 1000;

export async function historySegments(tx: SqlExecutor, tenantId: string, row: ThreadRowRecord, depth = 0): Promise<Segment[]> {
  if (row.history_base_thread_id === null || row.history_base_seq === null || depth > MAX_FORK_DEPTH) {
    return [{ threadId: row.id, lo: 0, hi: OPEN_END, offset: 0 }];
  }
  const baseSeq = row.history_base_seq;
  const base = await findThreadRow(tx, tenantId, row.history_base_thread_id);
  const inherited = base ? clip(await historySegments(tx, tenantId, base, depth + 1), baseSeq).map((s) => ({ ...s, offset: s.offset + 1 })) : [];
  return [{ threadId: row.id, lo: 0, hi: 0, offset: 0 }, ...inherited, { threadId: row.id, lo: baseSeq + 2, hi: OPEN_END, offset: 0 }];
}

/** Keep only the part of `segments` whose virtual seq is ≤ upTo. */
function clip(segments: Segment[], upTo: number): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    const vlo = s.lo + s.offset;
    if (vlo > upTo) break;
    out.push({ ...s, hi: Math.min(s.hi, upTo - s.offset) });
  }
  return out;
}

export interface VirtualRow {
  vseq: number;
  turnId: string | null;
  line: StoredRolloutLine;
}

export interface ReadRangeOptions {
  /** Exclusive virtual bound: rows strictly after (asc) / before (desc) it. */
  after?: number | null;
  direction?: 'asc' | 'desc';
  limit?: number;
  turnId?: string | null;
}

/** Read rows of the virtual history in order, segment by segment, each an index range scan. */
export async function readVirtualRange(tx: SqlExecutor, tenantId: string, segments: Segment[], options: ReadRangeOptions = {}): Promise<VirtualRow[]> {
  const direction = options.direction ?? 'asc';
  const ordered = direction === 'asc' ? segments : [...segments].reverse();
  let remaining = options.limit ?? OPEN_END;
  const out: VirtualRow[] = [];
  for (const s of ordered) {
    if (remaining <= 0) break;
    let lo = s.lo;
    let hi = s.hi;
    if (options.after != null) {
      if (direction === 'asc') lo = Math.max(lo, options.after - s.offset + 1);
      else hi = Math.min(hi, options.after - s.offset - 1);
    }
    if (lo > hi) continue;
    const params: unknown[] = [tenantId, s.threadId, lo, hi];
    let turnFilter = '';
    if (options.turnId != null) {
      params.push(options.turnId);
      turnFilter = ` AND turn_id = $${params.length}`;
    }
    params.push(remaining === OPEN_END ? null : remaining);
    const { rows } = await tx.query<SelectedItemRow>(
      `SELECT seq, turn_id, ts, type, payload, extra, raw_line FROM thread_store.thread_items
        WHERE tenant_id = $1 AND thread_id = $2 AND seq BETWEEN $3 AND $4${turnFilter}
        ORDER BY seq ${direction === 'asc' ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
      params,
    );
    for (const r of rows) out.push({ vseq: Number(r.seq) + s.offset, turnId: r.turn_id ?? null, line: decodeLine(r) });
    remaining -= rows.length;
  }
  return out;
}
