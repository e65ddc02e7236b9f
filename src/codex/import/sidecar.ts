// Owns `thread_store_metadata.jsonl`, the sidecar our exporter writes next to the rollouts. Codex
// ignores unknown files in a CODEX_HOME; our importer reads it so that import → export → import is a
// fixed point even for facts that only Codex's SQLite index had (git overrides, names, exact
// created/updated/recency times, spawn-edge status): the export has no state_5.sqlite (Codex
// re-creates it from the rollouts). One JSON object per line, the last line per id wins.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileChunks, splitLines } from '../lineSplitter.js';
import { isUuid } from '../../model/ids.js';
import { asRecord } from '../../model/rolloutLine.js';
import { jsonValueProblem } from '../../model/jsonValue.js';
import type { RolloutProblem } from '../rolloutReader.js';
import type { ThreadFacts } from './facts.js';

export const SIDECAR_FILE = 'thread_store_metadata.jsonl';
export const SIDECAR_VERSION = 1;

export interface SidecarEntry {
  id: string;
  /** The thread's updated_at when exported (ms); an entry older than the files is stale. */
  updatedAtMs: number;
  facts: ThreadFacts;
}

export function sidecarPath(codexHome: string): string {
  return join(codexHome, SIDECAR_FILE);
}

export function formatSidecarLine(entry: SidecarEntry): string {
  return `${JSON.stringify({ v: SIDECAR_VERSION, id: entry.id, updated_at_ms: entry.updatedAtMs, facts: entry.facts })}\n`;
}

export async function appendSidecar(codexHome: string, entries: SidecarEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await appendFile(sidecarPath(codexHome), entries.map(formatSidecarLine).join(''), 'utf8');
}

/** Read the sidecar (missing file = empty). Bad lines are reported, not fatal. */
export async function readSidecar(
  codexHome: string,
  onProblem?: (problem: RolloutProblem) => void,
): Promise<Map<string, SidecarEntry>> {
  const path = sidecarPath(codexHome);
  const out = new Map<string, SidecarEntry>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const raw of splitLines(fileChunks(path))) {
      let value: unknown;
      try {
        const text = decoder.decode(raw.bytes);
        if (text.trim() === '') continue;
        value = JSON.parse(text);
      } catch (error) {
        onProblem?.({ file: path, line: raw.lineNumber, byteOffset: raw.byteOffset, reason: `not valid JSON (${(error as Error).message})` });
        continue;
      }
      const obj = asRecord(value);
      const facts = asRecord(obj?.facts);
      if (!obj || obj.v !== SIDECAR_VERSION || !isUuid(obj.id) || typeof obj.updated_at_ms !== 'number' || !facts) {
        onProblem?.({ file: path, line: raw.lineNumber, byteOffset: raw.byteOffset, reason: 'not a thread-store metadata entry' });
        continue;
      }
      // Facts are hashed, merged and written back as JSON: refuse what cannot make that trip.
      const shape = jsonValueProblem(facts);
      if (shape) {
        onProblem?.({ file: path, line: raw.lineNumber, byteOffset: raw.byteOffset, reason: `not a thread-store metadata entry: facts ${shape.reason}` });
        continue;
      }
      const id = obj.id.toLowerCase();
      out.set(id, { id, updatedAtMs: obj.updated_at_ms, facts: facts as ThreadFacts });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return out;
}
