// Owns phase 1 of Codex's history reconstruction (§8.5): the newest-to-oldest scan that groups
// rollout lines into per-turn segments, lets pending `thread_rolled_back` counts swallow whole
// segments, and picks the newest SURVIVING replacement-history checkpoint, window, turn settings
// and reference context. It decides what survives; materializing history is phase 2's job.
//
// Port of the fixed revision: a checkpoint found inside a segment is only a candidate stored on
// that segment; it becomes the base (and fixes where forward replay starts) only when the segment
// survives. The lineage-era code moved the replay start eagerly, so a rolled-back compaction could
// silently truncate the replay.
import { readCompacted } from '../model/compacted.js';
import { asRecord, type RolloutLine } from '../model/rolloutLine.js';
import { isUserTurnBoundary } from './contextualFragments.js';
import {
  isTurnAborted,
  isTurnComplete,
  isTurnStarted,
  isUserMessageEvent,
  lineTurnId,
  rolledBackTurns,
} from './rolloutEvents.js';
import type { ReconstructedWindow } from './windowLineage.js';

/** Settings of the newest surviving user turn, used to detect model switches on resume. */
export interface PreviousTurnSettings {
  model: string | null;
  compHash?: string;
  realtimeActive?: boolean;
}

/** A `turn_context` payload, verbatim. */
export type ReferenceContext = Record<string, unknown>;

/**
 * `never`: no evidence of a baseline yet. `cleared`: a baseline existed and a later compaction
 * invalidated it (the next turn must re-inject full context). `latest`: the newest baseline.
 */
export type ReferenceState =
  | { kind: 'never' }
  | { kind: 'cleared' }
  | { kind: 'latest'; context: ReferenceContext };

interface Segment {
  turnId: string | undefined;
  countsAsUserTurn: boolean;
  settings: PreviousTurnSettings | null;
  reference: ReferenceState;
  /** Index of the newest compacted line in this segment that carries replacement history. */
  baseIndex: number | undefined;
  window: ReconstructedWindow | undefined;
  compactedIndices: number[];
  /** A compacted line without a window number (pre-#28953 or message-only record) sits here. */
  hasLegacyCompaction: boolean;
}

export interface SegmentScanOptions {
  /**
   * Stop once the base, the turn settings and the reference context are all known, like Codex.
   * Default true. Stopping is not only an optimisation: it also keeps the window from being taken
   * from a compaction older than the base.
   */
  earlyStop?: boolean;
  /**
   * Finalize the segment still open when the scan reaches the first line (default true). False
   * leaves it open, so `pendingRollbackTurns` is what that segment would be judged with — used to
   * ask whether the turn containing a checkpoint survives, given only the lines after it.
   */
  finalizeOpenSegment?: boolean;
}

export interface SegmentScanResult {
  /** Index of the base checkpoint (newest surviving `compacted` with replacement history). */
  baseIndex: number | null;
  /** Window of the newest surviving compaction that recorded a window number. */
  window: ReconstructedWindow | null;
  previousTurnSettings: PreviousTurnSettings | null;
  reference: ReferenceState;
  /** Indices of `compacted` lines inside segments a rollback removed. */
  rolledBackCompactions: ReadonlySet<number>;
  /** A surviving segment holds a compaction lacking a window number. */
  survivingLegacyCompaction: boolean;
  /** Rollback turns still pending when the scan ended (user turns to drop before the first line). */
  pendingRollbackTurns: number;
}

function turnIdsCompatible(active: string | undefined, item: string | undefined): boolean {
  return active === undefined || item === undefined || active === item;
}

function newSegment(turnId?: string): Segment {
  return {
    turnId,
    countsAsUserTurn: false,
    settings: null,
    reference: { kind: 'never' },
    baseIndex: undefined,
    window: undefined,
    compactedIndices: [],
    hasLegacyCompaction: false,
  };
}

function settingsOf(context: Record<string, unknown>): PreviousTurnSettings {
  const settings: PreviousTurnSettings = { model: typeof context.model === 'string' ? context.model : null };
  if (typeof context.comp_hash === 'string') settings.compHash = context.comp_hash;
  if (typeof context.realtime_active === 'boolean') settings.realtimeActive = context.realtime_active;
  return settings;
}

/** Phase 1: scan `items` newest to oldest (see the module comment). */
export function scanSegments(items: readonly RolloutLine[], options: SegmentScanOptions = {}): SegmentScanResult {
  const earlyStop = options.earlyStop ?? true;
  let baseIndex: number | null = null;
  let window: ReconstructedWindow | null = null;
  let settings: PreviousTurnSettings | null = null;
  let reference: ReferenceState = { kind: 'never' };
  let pending = 0;
  let survivingLegacyCompaction = false;
  const rolledBackCompactions = new Set<number>();
  let active: Segment | undefined;

  const finalize = (segment: Segment): void => {
    // Rollback drops the newest N user turns: in reverse that is "skip the next N user-turn
    // segments". Segments that are not user turns are skipped too while a rollback is pending,
    // because they happened after the turn being dropped.
    if (pending > 0) {
      if (segment.countsAsUserTurn) pending -= 1;
      for (const i of segment.compactedIndices) rolledBackCompactions.add(i);
      return;
    }
    if (segment.hasLegacyCompaction) survivingLegacyCompaction = true;
    if (baseIndex === null && segment.baseIndex !== undefined) baseIndex = segment.baseIndex;
    if (window === null && segment.window !== undefined) window = segment.window;
    if (settings === null && segment.countsAsUserTurn) settings = segment.settings;
    if (reference.kind === 'never' && (segment.countsAsUserTurn || segment.reference.kind === 'cleared')) {
      reference = segment.reference;
    }
  };

  for (let index = items.length - 1; index >= 0; index -= 1) {
    const line = items[index]!;
    if (line.type === 'compacted') {
      const seg = (active ??= newSegment());
      const checkpoint = readCompacted(line.payload);
      seg.compactedIndices.push(index);
      if (checkpoint.windowNumber === null) seg.hasLegacyCompaction = true;
      if (seg.window === undefined && checkpoint.windowNumber !== null) {
        seg.window = {
          windowNumber: checkpoint.windowNumber,
          firstWindowId: checkpoint.firstWindowId,
          previousWindowId: checkpoint.previousWindowId,
          windowId: checkpoint.windowId,
        };
      }
      // Seen backwards, a compaction invalidates any older baseline unless a newer turn_context in
      // this same turn already re-established one (mid-turn compaction writes compacted, then
      // turn_context).
      if (seg.reference.kind === 'never') seg.reference = { kind: 'cleared' };
      if (seg.baseIndex === undefined && checkpoint.replacementHistory !== null) seg.baseIndex = index;
    } else if (line.type === 'turn_context') {
      const seg = (active ??= newSegment());
      const context = asRecord(line.payload) ?? {};
      const turnId = lineTurnId(line);
      seg.turnId ??= turnId;
      if (turnIdsCompatible(seg.turnId, turnId)) {
        // Later (older) turn_context lines of the same turn overwrite: the turn's first context wins.
        seg.settings = settingsOf(context);
        if (seg.reference.kind === 'never') seg.reference = { kind: 'latest', context };
      }
    } else if (line.type === 'response_item') {
      const seg = (active ??= newSegment());
      if (isUserTurnBoundary(line.payload)) seg.countsAsUserTurn = true;
    } else if (line.type === 'inter_agent_communication') {
      (active ??= newSegment()).countsAsUserTurn = true;
    } else if (line.type === 'event_msg') {
      const rolledBack = rolledBackTurns(line);
      if (rolledBack !== undefined) {
        pending += rolledBack;
      } else if (isTurnComplete(line)) {
        // Reverse replay meets the completion first; remember its id so older lines can match it.
        const seg = (active ??= newSegment());
        seg.turnId ??= lineTurnId(line);
      } else if (isTurnAborted(line)) {
        const turnId = lineTurnId(line);
        if (active !== undefined) active.turnId ??= turnId;
        else if (turnId !== undefined) active = newSegment(turnId);
      } else if (isUserMessageEvent(line)) {
        (active ??= newSegment()).countsAsUserTurn = true;
      } else if (isTurnStarted(line)) {
        if (active !== undefined && turnIdsCompatible(active.turnId, lineTurnId(line))) {
          const done = active;
          active = undefined;
          finalize(done);
        }
      }
    }
    if (earlyStop && baseIndex !== null && settings !== null && reference.kind !== 'never') break;
  }

  if (active !== undefined && (options.finalizeOpenSegment ?? true)) finalize(active);

  return {
    baseIndex,
    window,
    previousTurnSettings: settings,
    reference,
    rolledBackCompactions,
    survivingLegacyCompaction,
    pendingRollbackTurns: pending,
  };
}
