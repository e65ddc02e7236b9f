// Codex's turn/item projection, rebuilt by us from the rollout files, equals the one Codex itself
// wrote into thread_history_1.sqlite — row for row, column for column, item JSON byte for byte — for
// every file of both real samples (Codex 0.169 and 0.171). No database: pure projection.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import fc from 'fast-check';
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

describe('projection rules beyond the samples', () => {
  const ts = '2026-01-01T00:00:00.000Z';
  const ev = (payload: Record<string, unknown>) => ({ timestamp: ts, type: 'event_msg', payload });
  const user = (turn: string, id: string) => ev({ type: 'item_completed', turn_id: turn, item: { type: 'UserMessage', id, content: [{ type: 'text', text: id, text_elements: [] }] } });
  const agent = (turn: string, id: string, phase?: string) =>
    ev({ type: 'item_completed', turn_id: turn, item: { type: 'AgentMessage', id, content: [{ type: 'Text', text: id }], ...(phase ? { phase } : {}) } });
  const inputs = (lines: object[]) => lines.map((line, i) => ({ line: line as ProjectionInput['line'], startByte: i * 10, endByte: i * 10 + 10 }));

  it('an error event fails its turn; an unfinished turn stays inProgress; rollbacks drop the last turns', () => {
    const p = projectFile('t', inputs([
      { timestamp: ts, type: 'session_meta', payload: { id: 't' } },
      ev({ type: 'task_started', turn_id: 'a', started_at: 1 }),
      user('a', 'u1'),
      ev({ type: 'error', message: 'boom', codex_error_info: 'usage_limit_exceeded' }),
      ev({ type: 'task_complete', turn_id: 'a', completed_at: 2, duration_ms: 5 }),
      ev({ type: 'task_started', turn_id: 'b' }),
      ev({ type: 'task_complete', turn_id: 'b' }),
      ev({ type: 'thread_rolled_back', num_turns: 1 }),
      ev({ type: 'task_started', turn_id: 'c' }),
      user('c', 'u2'),
      agent('c', 'm1'),
    ]));
    expect(p.turns.map((t) => [t.turnId, t.status, t.error?.codexErrorInfo ?? null, t.rolloutEndOrdinal])).toEqual([
      ['a', 'failed', 'usageLimitExceeded', 4],
      ['c', 'inProgress', null, null],
    ]);
    expect(p.items.map((i) => i.itemId)).toEqual(['u1', 'u2', 'm1']);
    expect(p.turns[1]).toMatchObject({ firstUserItemId: 'u2', finalAgentItemId: null, rolloutByteOffset: 80 });
    expect(p).toMatchObject({ nextOrdinal: 11, nextByteOffset: 110 });
  });

  it("the final agent item: the last final_answer, else once ended the last one without phase", () => {
    const p = projectFile('t', inputs([
      ev({ type: 'task_started', turn_id: 'a' }),
      agent('a', 'c1', 'commentary'),
      agent('a', 'p1'),
      agent('a', 'f1', 'final_answer'),
      agent('a', 'p2'),
      ev({ type: 'task_complete', turn_id: 'a' }),
      ev({ type: 'task_started', turn_id: 'b' }),
      agent('b', 'c2', 'commentary'),
      agent('b', 'p3'),
      ev({ type: 'turn_aborted', turn_id: 'b' }),
    ]));
    expect(p.turns.map((t) => [t.status, t.finalAgentItemId])).toEqual([
      ['completed', 'f1'],
      ['interrupted', 'p3'],
    ]);
  });

  it('a duplicate item keeps its first ordinal and takes the later snapshot', () => {
    const p = projectFile('t', inputs([ev({ type: 'task_started', turn_id: 'a' }), agent('a', 'm'), agent('a', 'm', 'final_answer')]));
    expect(p.items).toHaveLength(1);
    expect(p.items[0]).toMatchObject({ rolloutOrdinal: 1, updatedAtOrdinal: 2, item: { phase: 'final_answer' } });
  });

  it('property: every generated turn comes back with its span, status and items', () => {
    const status = fc.constantFrom('task_complete', 'turn_aborted', 'failed');
    fc.assert(
      fc.property(fc.array(fc.record({ items: fc.nat(4), end: status }), { maxLength: 12 }), (turns) => {
        const lines: object[] = [];
        const expected: { id: string; start: number; end: number; status: string; items: string[] }[] = [];
        turns.forEach((t, n) => {
          const id = `turn-${n}`;
          const start = lines.length;
          lines.push(ev({ type: 'task_started', turn_id: id }));
          const items: string[] = [];
          for (let i = 0; i < t.items; i++) {
            const itemId = `${id}-item-${i}`;
            items.push(itemId);
            lines.push(i === 0 ? user(id, itemId) : agent(id, itemId));
          }
          lines.push(
            t.end === 'failed' ? ev({ type: 'task_complete', turn_id: id, error: { message: 'x' } }) : ev({ type: t.end, turn_id: id }),
          );
          expected.push({ id, start, end: lines.length - 1, status: t.end === 'task_complete' ? 'completed' : t.end === 'turn_aborted' ? 'interrupted' : 'failed', items });
        });
        const p = projectFile('t', inputs(lines));
        expect(p.turns.map((t) => ({ id: t.turnId, start: t.rolloutOrdinal, end: t.rolloutEndOrdinal, status: t.status, items: p.items.filter((i) => i.turnId === t.turnId).map((i) => i.itemId) }))).toEqual(expected);
        for (const t of p.turns) expect([t.rolloutByteOffset, t.rolloutEndByteOffset]).toEqual([t.rolloutOrdinal * 10, t.rolloutEndOrdinal! * 10 + 10]);
        expect(p.turns.map((t) => t.firstUserItemId)).toEqual(expected.map((e) => e.items[0] ?? null));
      }),
    );
  });
});
