// Owns Codex's thread timestamp allocation (spec §3.4, `allocate_thread_timestamp`): every live
// write of `updatedAt` / `recencyAt` goes through a per-tenant high-water mark so those values are
// unique and strictly increasing, which keeps keyset cursors from skipping or repeating rows.
// The rule is a pure function so the PostgreSQL store (`tenant_clocks` row) applies the same one.

/** Candidates at least this far behind the mark are backfills/repairs and pass through unchanged. */
export const TIMESTAMP_BACKFILL_WINDOW_MS = 1_000;

export interface AllocatedTimestamp {
  /** The timestamp to write, epoch ms. */
  value: number;
  /** The new high-water mark, epoch ms. */
  mark: number;
}

/**
 * `candidate > mark` → candidate (mark advances); `candidate + 1000 <= mark` → candidate unchanged
 * (mark stays); otherwise (same hot second) → `mark + 1` (mark advances).
 */
export function allocateThreadTimestamp(mark: number, candidate: number): AllocatedTimestamp {
  if (candidate > mark) return { value: candidate, mark: candidate };
  if (candidate + TIMESTAMP_BACKFILL_WINDOW_MS <= mark) return { value: candidate, mark };
  return { value: mark + 1, mark: mark + 1 };
}

/** One tenant's clock: the in-memory counterpart of the `tenant_clocks` row. */
export class TimestampClock {
  private mark = Number.NEGATIVE_INFINITY;

  allocate(candidateMs: number): number {
    const next = allocateThreadTimestamp(this.mark, candidateMs);
    this.mark = next.mark;
    return next.value;
  }

  /** Allocate the current wall-clock time. */
  now(): number {
    return this.allocate(Date.now());
  }
}
