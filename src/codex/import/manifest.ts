// Owns the import manifest: the small record, kept in `threads.extra.codexImport`, that remembers
// which Codex files a thread came from and which of its stored rows each file holds. It is what lets
// the exporter write a reverted thread's two files back (the first file keeps the tail the revert
// cut off) and lets a second import recognise unchanged threads without reading them.
//
// Rows and seqs: a thread's current history lives at seq >= 0 (what every store read sees). Lines a
// revert cut off live at DETACHED_SEQ_BASE + n (large negative seqs): no store read range reaches
// them, but they stay in thread_items with the thread, are deleted with it, and come back on export.
// A file's content is the concatenation of its `runs` (inclusive seq ranges, in file order).
import { z } from 'zod';
import { asRecord } from '../../model/rolloutLine.js';

export const MANIFEST_KEY = 'codexImport';
export const MANIFEST_VERSION = 1;
/** First seq of the rows that hold lines cut off by a revert (never read as history). */
export const DETACHED_SEQ_BASE = -(2 ** 40);

/** `session_meta.history_base` of a file, as needed to rebuild it: which file it continues and where. */
export interface ManifestBaseRef {
  /** A thread id (the thread's first file) or a revert segment id. */
  fileId: string;
  endOrdinalExclusive: number | null;
  endByteOffset: number | null;
}

export interface ManifestFile {
  /** `segmentId ?? threadId`: the id other files' `history_base.thread_id` use. */
  fileId: string;
  /** Path relative to the CODEX_HOME, `/`-separated, always the plain `.jsonl` name. */
  path: string;
  archived: boolean;
  /** The file was read from `.jsonl.zst` (export writes plain `.jsonl`). */
  compressed: boolean;
  /** The file Codex appends to (the newest segment); its last run grows with later appends. */
  current: boolean;
  /** Inclusive [lo, hi] seq ranges of this file's rows, in file order. */
  runs: [number, number][];
  base: ManifestBaseRef | null;
  /** Fingerprint of the source file: a second import skips a thread whose files and facts are unchanged. */
  size: number;
  mtimeMs: number;
}

export interface ImportManifest {
  v: number;
  /** The thread this manifest belongs to (a store fork copies `extra`; a copied manifest is ignored). */
  threadId: string;
  files: ManifestFile[];
  /** Hash of the metadata facts that came from outside the rollouts (state DB row, name index, sidecar). */
  factsHash: string;
  /** `updated_at` of the session_index.jsonl entry that gave the name, to write it back unchanged. */
  nameUpdatedAt: string | null;
  /** Row bookkeeping right after the import: a thread changed in the database since is not replaced. */
  lastSeq: number;
  itemCount: number;
}

const baseRefSchema = z.object({
  fileId: z.string(),
  endOrdinalExclusive: z.number().nullable(),
  endByteOffset: z.number().nullable(),
});

const manifestSchema = z.object({
  v: z.literal(MANIFEST_VERSION),
  threadId: z.string(),
  files: z
    .array(
      z.object({
        fileId: z.string(),
        path: z.string(),
        archived: z.boolean(),
        compressed: z.boolean(),
        current: z.boolean(),
        runs: z.array(z.tuple([z.number(), z.number()])),
        base: baseRefSchema.nullable(),
        size: z.number(),
        mtimeMs: z.number(),
      }),
    )
    .min(1),
  factsHash: z.string(),
  nameUpdatedAt: z.string().nullable(),
  lastSeq: z.number(),
  itemCount: z.number(),
});

/** The manifest in a threads row's `extra`, or null when absent, malformed or copied from another thread. */
export function readManifest(extra: unknown, threadId: string): ImportManifest | null {
  const raw = asRecord(extra)?.[MANIFEST_KEY];
  if (raw === undefined) return null;
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success || parsed.data.threadId !== threadId) return null;
  return parsed.data as ImportManifest;
}

/** `extra` without the manifest (what the sidecar and comparisons carry). */
export function extraWithoutManifest(extra: unknown): Record<string, unknown> {
  const out = { ...(asRecord(extra) ?? {}) };
  delete out[MANIFEST_KEY];
  return out;
}

/** Append `seq` to `runs`, extending the last run when it is the next seq. */
export function pushRun(runs: [number, number][], seq: number): void {
  const last = runs[runs.length - 1];
  if (last && last[1] + 1 === seq) last[1] = seq;
  else runs.push([seq, seq]);
}
