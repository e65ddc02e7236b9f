// Loads the real Codex sample (test/fixtures/codex-home-sample) into one tenant through the
// ThreadStore: every rollout file (revert segment files aside) becomes a thread created with the
// CreateThreadParams of its session_meta and appended with the file's later lines, carrying the
// metadata Codex derives from them (deriveMetadataFromItems, as LiveThread/importers do); files of
// archived_sessions/ are archived. `shiftDays` moves a thread's timestamps by whole days, so one
// sample yields several UTC days. Returns what was appended, for tests to compute expectations from.
import { basename } from 'node:path';
import { deriveMetadataFromItems } from '../../src/history/metadataSync.js';
import { asRecord, type RolloutLine } from '../../src/model/rolloutLine.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { createParamsFromMeta } from '../contract/fixtures.js';
import { readLines, sampleRolloutFiles } from '../helpers/sample.js';

export interface SampleThread {
  threadId: string;
  /** Payload of the file's first session_meta (timestamps shifted). */
  meta: Record<string, unknown>;
  /** The lines appended after that session_meta (timestamps shifted). */
  lines: RolloutLine[];
  archived: boolean;
}

/** A revert writes `rollout-<ts>-<thread>_<segment>.jsonl`: a second file of an existing thread. */
const SEGMENT_FILE = /-[0-9a-f-]{36}_[0-9a-f-]{36}\.jsonl$/;

export function sampleBaseFiles(): string[] {
  return sampleRolloutFiles().filter((f) => !SEGMENT_FILE.test(basename(f)));
}

function shiftIso(value: string, days: number): string {
  if (days === 0) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value;
  return new Date(ms + days * 86_400_000).toISOString();
}

function shiftLine(line: RolloutLine, days: number): RolloutLine {
  const out = structuredClone(line);
  if (typeof out.timestamp === 'string') out.timestamp = shiftIso(out.timestamp, days);
  const payload = asRecord(out.payload);
  if (out.type === 'session_meta' && payload && typeof payload.timestamp === 'string') payload.timestamp = shiftIso(payload.timestamp, days);
  return out;
}

/** The sample threads as they will be appended (no I/O on the store). */
export function sampleThreads(shiftDays: (index: number) => number = () => 0): SampleThread[] {
  return sampleBaseFiles().map((file, index) => {
    const all = readLines(file).map((l) => shiftLine(l, shiftDays(index)));
    const metaIndex = all.findIndex((l) => l.type === 'session_meta');
    const meta = asRecord(all[metaIndex]?.payload);
    if (!meta) throw new Error(`${file} has no session_meta`);
    return { threadId: String(meta.id), meta, lines: all.slice(metaIndex + 1), archived: file.includes('/archived_sessions/') };
  });
}

export interface SampleClock {
  now: string;
}

/**
 * Append `threads` to `store`. `clock` must be the `now` of the store's service (so the store's own
 * session_meta line and created_at carry the thread's sample time, not the time of the test run).
 */
export async function loadSample(store: ThreadStore, clock: SampleClock, threads: SampleThread[]): Promise<void> {
  for (const t of threads) {
    clock.now = String(t.meta.timestamp);
    const metaLine: RolloutLine = { timestamp: clock.now, type: 'session_meta', payload: t.meta };
    await store.createThread(createParamsFromMeta(t.meta));
    await store.appendItems({ threadId: t.threadId, items: t.lines }, { metadataPatch: deriveMetadataFromItems(t.threadId, [metaLine, ...t.lines]) });
    await store.shutdownThread(t.threadId);
    if (t.archived) await store.archiveThread({ threadId: t.threadId });
  }
}
