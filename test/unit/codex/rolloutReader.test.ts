import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  readRolloutFile,
  readRolloutHead,
  resolveRolloutPath,
  splitLines,
  zstdDecompressChunks,
  type RolloutProblem,
  type RolloutRecord,
} from '../../../src/codex/index.js';
import { InvalidRequestError } from '../../../src/model/errors.js';
import { isKnownRolloutType } from '../../../src/model/rolloutLine.js';
import {
  hasZstdCli,
  makeTempDir,
  sampleRolloutFiles,
  TINY_ZST_BASE64,
  TINY_ZST_PLAIN,
  zstdCompress,
} from './helpers.js';

const RAW_SEPARATORS = /[\u2028\u2029\u0085]/;

async function collect(path: string): Promise<{ records: RolloutRecord[]; problems: RolloutProblem[] }> {
  return readRolloutFile(path).collect();
}

async function* chunksOf(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('readRolloutFile on the real Codex sample', () => {
  const files = sampleRolloutFiles();

  it('finds the 26 sample rollout files', () => {
    expect(files).toHaveLength(26);
  });

  it('parses every line of every rollout and re-serializes it JSON-equal (and byte-equal)', async () => {
    let total = 0;
    for (const file of files) {
      const { records, problems } = await collect(file);
      expect(problems, file).toEqual([]);
      const physical = readFileSync(file, 'utf8').split('\n');
      expect(physical.at(-1)).toBe(''); // every file ends with \n
      expect(records).toHaveLength(physical.length - 1);
      for (const record of records) {
        const original = physical[record.lineNumber - 1]!;
        expect(record.text).toBe(original);
        expect(JSON.parse(JSON.stringify(record.line))).toEqual(JSON.parse(original));
        // Codex's serde_json output is reproduced exactly by JSON.stringify for the whole sample.
        expect(JSON.stringify(record.line)).toBe(original);
        expect(typeof record.line.timestamp).toBe('string');
      }
      total += records.length;
    }
    expect(total).toBe(930);
  });

  it('keeps the 12 lines with raw U+2028/U+2029/U+0085 as single lines (line count = \\n count)', async () => {
    let withSeparators = 0;
    for (const file of files) {
      const bytes = readFileSync(file);
      const newlines = bytes.reduce((n, b) => (b === 0x0a ? n + 1 : n), 0);
      const reader = readRolloutFile(file);
      const { records } = await reader.collect();
      expect(records.length, file).toBe(newlines);
      expect(reader.stats.physicalLines).toBe(newlines);
      expect(reader.stats.unterminatedLastLine).toBe(false);
      withSeparators += records.filter((r) => RAW_SEPARATORS.test(r.text)).length;
    }
    expect(withSeparators).toBe(12);
  });

  it('reports byte offsets that match session_meta.history_base.end_byte_offset of forks and revert segments', async () => {
    const byHistoryId = new Map<string, string>();
    for (const file of files) {
      const m = /-([0-9a-f-]{36})(?:_([0-9a-f-]{36}))?\.jsonl$/.exec(file)!;
      byHistoryId.set(m[2] ?? m[1]!, file);
    }
    let checked = 0;
    for (const file of files) {
      const head = await readRolloutHead(file);
      const base = head?.meta.history_base;
      if (!base) continue;
      const baseFile = byHistoryId.get(base.thread_id)!;
      expect(baseFile, base.thread_id).toBeDefined();
      const { records } = await collect(baseFile);
      const kept = records.filter((r) => r.endByteOffset <= base.end_byte_offset!);
      expect(kept.at(-1)!.endByteOffset).toBe(base.end_byte_offset);
      expect(kept.at(-1)!.line.ordinal).toBe(base.end_ordinal_exclusive! - 1);
      // The same prefix through the endByteOffset option.
      const prefix = await readRolloutFile(baseFile, { endByteOffset: base.end_byte_offset! }).collect();
      expect(prefix.records.map((r) => r.lineNumber)).toEqual(kept.map((r) => r.lineNumber));
      checked += 1;
    }
    expect(checked).toBe(7);
  });

  it('readRolloutHead returns the first session_meta', async () => {
    const file = files.find((f) => f.includes('01a20db4-4203-7432-a159-ee6a004b5fbb'))!;
    const head = await readRolloutHead(file);
    expect(head).not.toBeNull();
    expect(head!.isFirstRecord).toBe(true);
    expect(head!.record.lineNumber).toBe(1);
    expect(head!.meta.id).toBe('01a20db4-4203-7432-a159-ee6a004b5fbb');
    expect(head!.meta.session_id).toBe('01a20db4-413e-7820-abef-902d136cb232');
    expect(head!.meta.parent_thread_id).toBe('01a20db4-413e-7820-abef-902d136cb232');
    expect(head!.meta.history_mode).toBe('paginated');
  });
});

describe('readRolloutFile tolerance', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  const meta = JSON.stringify({
    timestamp: '2025-01-01T00:00:00.000Z',
    type: 'session_meta',
    payload: { id: '0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5b', cwd: '/x', history_mode: 'paginated' },
  });
  const msg = (n: number): string =>
    JSON.stringify({
      timestamp: '2025-01-01T00:00:01.000Z',
      ordinal: n,
      type: 'event_msg',
      payload: { type: 'agent_message', message: `m${n}` },
    });

  it('reports a truncated last line with file:line and keeps the rest', async () => {
    const path = join(tmp.dir, 'rollout-2025-01-01T00-00-00-0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5b.jsonl');
    const full = msg(2);
    writeFileSync(path, `${meta}\n${msg(1)}\n${full.slice(0, full.length - 7)}`);
    const seen: RolloutProblem[] = [];
    const reader = readRolloutFile(path, { onProblem: (p) => seen.push(p) });
    const { records, problems } = await reader.collect();
    expect(records.map((r) => r.lineNumber)).toEqual([1, 2]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: path, line: 3, reason: expect.stringContaining('truncated last line') });
    expect(problems[0]!.byteOffset).toBe(Buffer.byteLength(`${meta}\n${msg(1)}\n`));
    expect(seen).toEqual(problems);
    expect(reader.stats.unterminatedLastLine).toBe(true);
  });

  it('keeps a complete last line that only lacks its newline', async () => {
    const path = join(tmp.dir, 'a.jsonl');
    writeFileSync(path, `${meta}\n${msg(1)}`);
    const reader = readRolloutFile(path);
    const { records, problems } = await reader.collect();
    expect(problems).toEqual([]);
    expect(records).toHaveLength(2);
    expect(records[1]!.endByteOffset).toBe(Buffer.byteLength(`${meta}\n${msg(1)}`));
    expect(reader.stats.unterminatedLastLine).toBe(true);
  });

  it('reports garbled middle lines with file:line, skips blank lines, keeps everything else', async () => {
    const path = join(tmp.dir, 'b.jsonl');
    const content = Buffer.concat([
      Buffer.from(`${meta}\n`), // 1
      Buffer.from(`${msg(1)}\n`), // 2
      Buffer.from('{"timestamp":"x","type":"event_msg","payl\n'), // 3 not JSON
      Buffer.from('\n'), // 4 blank
      Buffer.from('   \t\r\n'), // 5 blank (whitespace + CR)
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), // 6 invalid UTF-8
      Buffer.from('[1,2,3]\n'), // 7 JSON but not a rollout line
      Buffer.from('{"timestamp":"t","type":"session_meta","payload":{"id":"not-a-uuid"}}\n'), // 8 bad known variant
      Buffer.from('{"type":"event_msg","payload":{"type":"x"}}\n'), // 9 no timestamp
      Buffer.from(`${msg(2)}\r\n`), // 10 CRLF terminator: JSON whitespace, kept
      Buffer.from('{"timestamp":"t","type":"future_variant","payload":{"a":1}}\n'), // 11 unknown variant kept
      Buffer.from(`${msg(3)}\n`), // 12
    ]);
    writeFileSync(path, content);
    const reader = readRolloutFile(path);
    const { records, problems } = await reader.collect();
    expect(records.map((r) => r.lineNumber)).toEqual([1, 2, 10, 11, 12]);
    expect(problems.map((p) => p.line)).toEqual([3, 6, 7, 8, 9]);
    for (const p of problems) expect(p.file).toBe(path);
    expect(problems[0]!.reason).toMatch(/not valid JSON/);
    expect(problems[1]!.reason).toMatch(/invalid UTF-8/);
    expect(problems[2]!.reason).toMatch(/not a rollout line/);
    expect(problems[3]!.reason).toMatch(/payload\.id/);
    expect(problems[4]!.reason).toMatch(/timestamp/);
    expect(records[2]!.text.endsWith('\r')).toBe(true); // nothing stripped; JSON.parse ignores it
    expect(records[2]!.line.ordinal).toBe(2);
    expect(reader.stats).toMatchObject({ physicalLines: 12, blankLines: 2, records: 5, skippedLines: 5 });
    // Offsets are exact byte offsets into the file.
    for (const r of records) {
      expect(content.subarray(r.byteOffset, r.endByteOffset - 1).toString('utf8')).toBe(r.text);
    }
  });

  it('throws on a first session_meta with an unknown history_mode, like Codex', async () => {
    const path = join(tmp.dir, 'c.jsonl');
    writeFileSync(
      path,
      `${JSON.stringify({ timestamp: 't', type: 'session_meta', payload: { id: '0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5b', history_mode: 'quantum' } })}\n`,
    );
    await expect(collect(path)).rejects.toThrow(InvalidRequestError);
    await expect(collect(path)).rejects.toThrow(`${path}:1`);
    const lenient = await readRolloutFile(path, { strictHistoryMode: false }).collect();
    expect(lenient.records).toEqual([]);
    expect(lenient.problems).toHaveLength(1);
  });

  it('reports lines above maxLineBytes without buffering them', async () => {
    const path = join(tmp.dir, 'd.jsonl');
    const big = JSON.stringify({ timestamp: 't', type: 'event_msg', payload: { type: 'x', s: 'y'.repeat(5000) } });
    writeFileSync(path, `${meta}\n${big}\n${msg(1)}\n`);
    const { records, problems } = await readRolloutFile(path, { maxLineBytes: 1000 }).collect();
    expect(records.map((r) => r.lineNumber)).toEqual([1, 3]);
    expect(problems).toMatchObject([{ line: 2, reason: expect.stringContaining('longer than 1000 bytes') }]);
  });

  it('throws InvalidRequestError with the path when the file does not exist', async () => {
    const path = join(tmp.dir, 'missing.jsonl');
    await expect(collect(path)).rejects.toThrow(InvalidRequestError);
    await expect(collect(path)).rejects.toThrow(path);
  });

  it('closes the file when the consumer stops early', async () => {
    const path = join(tmp.dir, 'e.jsonl');
    writeFileSync(path, `${meta}\n${msg(1)}\n${msg(2)}\n`);
    const reader = readRolloutFile(path);
    for await (const record of reader) {
      expect(record.lineNumber).toBe(1);
      break;
    }
    expect(reader.stats.records).toBe(1);
  });
});

describe('zstd (.jsonl.zst) rollouts', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('decompresses a precompressed two-frame fixture, streaming in tiny chunks', async () => {
    const compressed = Buffer.from(TINY_ZST_BASE64, 'base64');
    for (const size of [1, 7, 64, compressed.length]) {
      const parts: Buffer[] = [];
      for await (const piece of zstdDecompressChunks(chunksOf(compressed, size))) parts.push(Buffer.from(piece));
      expect(Buffer.concat(parts).toString('utf8')).toBe(TINY_ZST_PLAIN);
    }
    const path = join(tmp.dir, 'rollout-2025-01-01T00-00-00-0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5b.jsonl.zst');
    writeFileSync(path, compressed);
    // Asking for the plain name finds the .zst representation.
    const reader = readRolloutFile(path.slice(0, -4));
    const { records, problems } = await reader.collect();
    expect(problems).toEqual([]);
    expect(reader.resolved).toEqual({ path, compressed: true });
    expect(records).toHaveLength(2);
    expect(records[1]!.line.payload).toMatchObject({ message: 'line\u2028sep para\u2029sep nel\u0085end \r\n crlf' });
    expect(records[1]!.byteOffset).toBe(Buffer.byteLength(TINY_ZST_PLAIN.split('\n')[0]!) + 1);
  });

  it('reports a truncated .zst stream with file:line and keeps the lines before it', async () => {
    const compressed = Buffer.from(TINY_ZST_BASE64, 'base64');
    const path = join(tmp.dir, 'x.jsonl.zst');
    writeFileSync(path, compressed.subarray(0, compressed.length - 20));
    const { records, problems } = await readRolloutFile(path).collect();
    expect(records.map((r) => r.lineNumber)).toEqual([1]);
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems.at(-1)!.reason).toMatch(/compressed stream/);
    expect(problems.at(-1)!.file).toBe(path);
  });

  it.skipIf(!hasZstdCli())('reads a zstd-compressed copy of every sample rollout identically; plain wins when both exist', async () => {
    for (const file of sampleRolloutFiles()) {
      const name = file.split('/').at(-1)!;
      const zst = join(tmp.dir, `${name}.zst`);
      zstdCompress(file, zst);
      const plain = await collect(file);
      const packed = await collect(zst);
      expect(packed.problems).toEqual([]);
      expect(packed.records.map((r) => [r.text, r.lineNumber, r.byteOffset, r.endByteOffset])).toEqual(
        plain.records.map((r) => [r.text, r.lineNumber, r.byteOffset, r.endByteOffset]),
      );
    }
    // Both representations present: the plain one is read, whichever name is asked for.
    const file = sampleRolloutFiles()[0]!;
    const name = file.split('/').at(-1)!;
    copyFileSync(file, join(tmp.dir, name));
    writeFileSync(join(tmp.dir, `${name}.zst`), Buffer.from(TINY_ZST_BASE64, 'base64'));
    expect(await resolveRolloutPath(join(tmp.dir, `${name}.zst`))).toEqual({ path: join(tmp.dir, name), compressed: false });
    const both = await collect(join(tmp.dir, `${name}.zst`));
    expect(both.records.length).toBe((await collect(file)).records.length);
  });
});

describe('splitLines', () => {
  it('splits only on \\n regardless of chunk boundaries', async () => {
    const text = 'a\u2028b\r\nc\u0085\n\n\u2029d';
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, bytes.length]) {
      const lines: string[] = [];
      const meta: [number, number, boolean][] = [];
      for await (const raw of splitLines(chunksOf(bytes, size))) {
        lines.push(raw.bytes.toString('utf8'));
        meta.push([raw.byteOffset, raw.endByteOffset, raw.terminated]);
      }
      expect(lines).toEqual(['a\u2028b\r', 'c\u0085', '', '\u2029d']);
      expect(meta.at(-1)).toEqual([bytes.length - Buffer.byteLength('\u2029d'), bytes.length, false]);
    }
  });
});

describe('property: arbitrary JSON lines round-trip through the reader', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  const unicodeText = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }), // any code point, incl. lone surrogates
    fc.constantFrom('\u2028', '\u2029', '\u0085', '\r\n', '\n', '\r', '\u0000', '\ufeff', '"\\'),
  );
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      unicodeText,
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(unicodeText, tie('value'), { maxKeys: 4 }),
    ),
  })).value;
  const line = fc.record({
    timestamp: unicodeText.filter((s) => s.length > 0),
    // Unknown variants pass through untouched; known ones have payload schemas of their own.
    type: unicodeText.filter((s) => s.length > 0 && !isKnownRolloutType(s)),
    payload: json,
    extra: fc.dictionary(unicodeText, json, { maxKeys: 3 }),
  });

  it('every written line comes back as one JSON-equal record', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 8 }), async (specs) => {
        const objects = specs.map(({ timestamp, type, payload, extra }) => ({ ...extra, timestamp, type, payload }));
        const path = join(tmp.dir, `p${n++}.jsonl`);
        writeFileSync(path, objects.map((o) => `${JSON.stringify(o)}\n`).join(''));
        const { records, problems } = await readRolloutFile(path).collect();
        expect(problems).toEqual([]);
        expect(records).toHaveLength(objects.length);
        records.forEach((record, i) => {
          expect(record.lineNumber).toBe(i + 1);
          expect(record.line).toEqual(JSON.parse(JSON.stringify(objects[i])));
        });
      }),
      { numRuns: 150 },
    );
  });
});
