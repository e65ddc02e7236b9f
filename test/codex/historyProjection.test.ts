// Codex's turn/item projection, rebuilt by us from the rollout files, equals the one Codex itself
// wrote into thread_history_1.sqlite — row for row, column for column, item JSON byte for byte — for
// every file of both real samples (Codex 0.169 and 0.171). No database: pure projection.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRolloutFileName } from '../../src/codex/codexHome.js';
import { projectFile, type FileProjection, type ProjectionInput } from '../../src/codex/history/projection.js';
import { shlexJoin, shlexQuote } from '../../src/codex/history/shlex.js';
import { rolloutFiles, SAMPLES } from './helpers.js';

/** A file's lines with their byte spans, split on `\n` only. */
function fileInputs(path: string): ProjectionInput[] {
  const bytes = readFileSync(path);
  const out: ProjectionInput[] = [];
  let start = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl + 1;
    const text = bytes.subarray(start, nl === -1 ? bytes.length : nl).toString('utf8');
    if (text.trim() !== '') out.push({ line: JSON.parse(text), startByte: start, endByte: end });
    start = end;
  }
  return out;
}

interface CodexRows {
  turns: Record<string, unknown>[];
  items: Record<string, unknown>[];
  state: { thread_id: string; next_rollout_byte_offset: number; next_rollout_ordinal: number }[];
}

function codexRows(home: string): CodexRows {
  const db = new Database(join(home, 'thread_history_1.sqlite'), { readonly: true });
  try {
    return {
      turns: db.prepare('SELECT * FROM thread_turns ORDER BY thread_id, rollout_ordinal').all() as Record<string, unknown>[],
      items: db.prepare('SELECT * FROM thread_items ORDER BY thread_id, rollout_ordinal').all() as Record<string, unknown>[],
      state: db.prepare('SELECT * FROM thread_history_projection_state ORDER BY thread_id').all() as CodexRows['state'],
    };
  } finally {
    db.close();
  }
}

/** Our projection as Codex's rows (same columns, JSON re-serialized in our key order). */
function asRows(p: FileProjection): CodexRows {
  return {
    turns: p.turns.map((t) => ({
      thread_id: p.fileId,
      turn_id: t.turnId,
      rollout_ordinal: t.rolloutOrdinal,
      status: t.status,
      error_json: t.error === null ? null : JSON.stringify(t.error),
      started_at: t.startedAt,
      completed_at: t.completedAt,
      duration_ms: t.durationMs,
      first_user_item_id: t.firstUserItemId,
      final_agent_item_id: t.finalAgentItemId,
      rollout_byte_offset: t.rolloutByteOffset,
      rollout_end_ordinal: t.rolloutEndOrdinal,
      rollout_end_byte_offset: t.rolloutEndByteOffset,
      root_turn_id: t.rootTurnId,
    })),
    items: p.items.map((i) => ({
      thread_id: p.fileId,
      turn_id: i.turnId,
      item_id: i.itemId,
      rollout_ordinal: i.rolloutOrdinal,
      created_at_ms: i.createdAtMs,
      item_json: JSON.stringify(i.item),
      item_type: i.item.type,
      updated_at_ordinal: i.updatedAtOrdinal,
      started_at_ms: i.startedAtMs,
      completed_at_ms: i.completedAtMs,
    })),
    state: [{ thread_id: p.fileId, next_rollout_byte_offset: p.nextByteOffset, next_rollout_ordinal: p.nextOrdinal }],
  };
}

describe.each(SAMPLES)('the projection of every rollout file Codex $version wrote', ({ home }) => {
  const codex = codexRows(home);
  const ours: CodexRows = { turns: [], items: [], state: [] };
  for (const file of rolloutFiles(home)) {
    const parsed = parseRolloutFileName(basename(file))!;
    const rows = asRows(projectFile(parsed.segmentId ?? parsed.threadId, fileInputs(file)));
    ours.turns.push(...rows.turns);
    ours.items.push(...rows.items);
    ours.state.push(...rows.state);
  }
  const sortKey = (r: Record<string, unknown>) => `${r.thread_id}:${String(r.rollout_ordinal).padStart(8, '0')}`;
  ours.turns.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  ours.items.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  ours.state.sort((a, b) => a.thread_id.localeCompare(b.thread_id));

  it('has the same turns (81), statuses, errors, times, byte spans and summary item ids', () => {
    expect(codex.turns).toHaveLength(81);
    expect(ours.turns).toEqual(codex.turns);
  });

  it('has the same items (186), their JSON identical byte for byte', () => {
    expect(codex.items).toHaveLength(186);
    // Codex's serde_json writes the same bytes as JSON.stringify for these values (key order included).
    expect(ours.items).toEqual(codex.items);
  });

  it('ends where Codex ended each of the 26 files (next byte offset and ordinal)', () => {
    expect(codex.state).toHaveLength(26);
    expect(ours.state).toEqual(codex.state);
  });
});

describe('shlex join (Codex shows argv as one shell string)', () => {
  it('quotes like the shlex crate', () => {
    expect(shlexQuote('')).toBe("''");
    expect(shlexQuote('foobar')).toBe('foobar');
    expect(shlexQuote('foo bar')).toBe("'foo bar'");
    expect(shlexQuote(`'"`)).toBe(`"'\\""`);
    expect(shlexQuote('^x')).toBe("'^x'");
    expect(shlexQuote("it's")).toBe(`"it's"`);
    expect(shlexQuote('naïve')).toBe("'naïve'");
    expect(shlexJoin(['/bin/bash', '-lc', 'git status --short && git log --oneline -2'])).toBe("/bin/bash -lc 'git status --short && git log --oneline -2'");
  });
});
