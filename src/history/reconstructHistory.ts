// Owns Codex's history reconstruction from rollout lines (`reconstruct_history_from_rollout`, §8.5):
// phase 1 (replaySegments.ts) picks the newest surviving checkpoint and resume metadata; phase 2
// here materializes the model-visible history forward from that checkpoint's replacement history,
// copied verbatim, replaying only the lines after it.
//
// Reading only a suffix. Giving `items` that start at a `compacted` line with replacement history
// yields the same history, window and legacy flag as giving the whole rollout, provided that
// checkpoint survives: no later `thread_rolled_back` reaches back into (or past) the turn that
// contains it — `rollbackReachesBefore(linesAfterCheckpoint) === 0` — and no rollback sits between
// the start of that turn and the checkpoint. Turn settings and reference context additionally need
// a surviving user turn after the checkpoint's turn, and the window needs the checkpoint to record a
// window number; `analyzeCheckpointSuffix` (checkpointSuffix.ts) checks all of it.
import { asRecord, type RolloutLine } from '../model/rolloutLine.js';
import { isUuidV7 } from '../model/ids.js';
import { readCompacted } from '../model/compacted.js';
import { dropLastNUserTurns, type DropUserTurnsOptions } from './dropUserTurns.js';
import { rebuildAfterLegacyCompaction } from './legacyCompaction.js';
import { rolledBackTurns } from './rolloutEvents.js';
import { scanSegments, type PreviousTurnSettings, type ReferenceContext, type SegmentScanResult } from './replaySegments.js';
import type { ReconstructedWindow } from './windowLineage.js';

export type { PreviousTurnSettings, ReferenceContext } from './replaySegments.js';

export interface HistoryReconstruction {
  /** Model-visible history: response item payloads, oldest first. */
  history: unknown[];
  /** Window to restore; ids are null when the rollout does not know them (see `restoreLineage`). */
  windowLineage: ReconstructedWindow;
  /** Settings of the newest surviving user turn; null when there is none. */
  previousTurnSettings: PreviousTurnSettings | null;
  /** Newest surviving `turn_context` baseline; null when none or when a compaction cleared it. */
  referenceContext: ReferenceContext | null;
  /** Index in `items` of the `compacted` line whose replacement history is the base; null if none. */
  baseCheckpointIndex: number | null;
  /** A surviving message-only (legacy) compaction was replayed; forces full context re-injection. */
  sawLegacyCompaction: boolean;
}

export interface ReconstructOptions {
  /**
   * What replay does with a `compacted` line inside a turn that a later rollback removed.
   * `ignore` (default): it has no effect — the rolled-back turn's checkpoint is discarded along
   * with the turn (§13: "segments and checkpoints inside them are ignored"), and the rollback then
   * cuts the pre-compaction history at the rolled-back user turns.
   * `replay`: Codex's literal forward loop, which applies it anyway ("should never happen").
   */
  rolledBackCheckpoints?: 'ignore' | 'replay';
  /** Options for the `thread_rolled_back` replay (see `dropLastNUserTurns`). */
  dropUserTurns?: DropUserTurnsOptions;
  /**
   * `compacted` lines that precede `items[0]`, for the fallback window number (count of all
   * compactions) when reconstructing from a suffix whose checkpoint records no window number.
   */
  compactedLinesBefore?: number;
  /** Model-input form of an `inter_agent_communication` payload; default: Codex's `agent_message`. */
  interAgentToModelItem?: (payload: unknown) => unknown;
  /**
   * Phase 1's result for exactly `items` (`scanSegments(items)` with the default options), when
   * the caller already computed it; saves a second reverse scan.
   */
  segmentScan?: SegmentScanResult;
}

/** Codex `InterAgentCommunication::to_model_input_item`. */
export function interAgentCommunicationToModelItem(payload: unknown): unknown {
  const p = asRecord(payload) ?? {};
  const author = typeof p.author === 'string' ? p.author : '';
  const recipient = typeof p.recipient === 'string' ? p.recipient : '';
  const content =
    typeof p.encrypted_content === 'string'
      ? [
          {
            type: 'input_text',
            text: `Message Type: ${p.trigger_turn === true ? 'NEW_TASK' : 'MESSAGE'}\nTask name: ${recipient}\nSender: ${author}\nPayload:\n`,
          },
          { type: 'encrypted_content', encrypted_content: p.encrypted_content },
        ]
      : [{ type: 'input_text', text: typeof p.content === 'string' ? p.content : '' }];
  return {
    type: 'agent_message',
    ...(p.id === undefined || p.id === null ? {} : { id: p.id }),
    author,
    recipient,
    content,
    ...(p.internal_chat_message_metadata_passthrough === undefined
      ? {}
      : { internal_chat_message_metadata_passthrough: p.internal_chat_message_metadata_passthrough }),
  };
}

function isGhostSnapshot(payload: unknown): boolean {
  return asRecord(payload)?.type === 'ghost_snapshot';
}

/** Initial window announced by `session_meta.context_window.window_id` (#29519), if a valid UUIDv7. */
function sessionMetaInitialWindow(items: readonly RolloutLine[]): ReconstructedWindow | null {
  for (const line of items) {
    if (line.type !== 'session_meta') continue;
    const id = asRecord(asRecord(line.payload)?.context_window)?.window_id;
    if (isUuidV7(id)) return { windowNumber: 0, firstWindowId: id, previousWindowId: null, windowId: id };
  }
  return null;
}

/** Rebuild the model-visible history and resume metadata from rollout lines (oldest first). */
export function reconstructHistory(items: readonly RolloutLine[], options: ReconstructOptions = {}): HistoryReconstruction {
  const scan = options.segmentScan ?? scanSegments(items);
  const toModelItem = options.interAgentToModelItem ?? interAgentCommunicationToModelItem;
  const ignoreRolledBack = (options.rolledBackCheckpoints ?? 'ignore') === 'ignore';

  let history: unknown[] = [];
  let start = 0;
  if (scan.baseIndex !== null) {
    // Verbatim: the checkpoint's replacement history IS the model-visible history at that point.
    history = [...(readCompacted(items[scan.baseIndex]!.payload).replacementHistory ?? [])];
    start = scan.baseIndex + 1;
  }

  let sawLegacyCompaction = false;
  for (let index = start; index < items.length; index += 1) {
    const line = items[index]!;
    switch (line.type) {
      case 'response_item':
        // Ghost snapshots are undo bookkeeping, never model input (§8.6: stripped at load time).
        if (!isGhostSnapshot(line.payload)) history.push(line.payload);
        break;
      case 'inter_agent_communication':
        history.push(toModelItem(line.payload));
        break;
      case 'compacted': {
        if (ignoreRolledBack && scan.rolledBackCompactions.has(index)) break;
        const checkpoint = readCompacted(line.payload);
        if (checkpoint.replacementHistory !== null) {
          history = [...checkpoint.replacementHistory];
        } else {
          sawLegacyCompaction = true;
          history = rebuildAfterLegacyCompaction(history, checkpoint.message);
        }
        break;
      }
      case 'event_msg': {
        const n = rolledBackTurns(line);
        if (n !== undefined) history = dropLastNUserTurns(history, n, options.dropUserTurns);
        break;
      }
      default:
        break;
    }
  }

  const referenceContext =
    scan.reference.kind === 'latest' && !sawLegacyCompaction ? scan.reference.context : null;

  const windowLineage: ReconstructedWindow =
    scan.window ??
    // The session-meta initial window only stands in when nothing surviving is a legacy
    // compaction: a legacy record means windows advanced without ids, so "initial" would lie.
    (scan.survivingLegacyCompaction ? null : sessionMetaInitialWindow(items)) ?? {
      windowNumber: (options.compactedLinesBefore ?? 0) + items.filter((l) => l.type === 'compacted').length,
      firstWindowId: null,
      previousWindowId: null,
      windowId: null,
    };

  return {
    history,
    windowLineage,
    previousTurnSettings: scan.previousTurnSettings,
    referenceContext,
    baseCheckpointIndex: scan.baseIndex,
    sawLegacyCompaction,
  };
}
