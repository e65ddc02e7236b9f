// Human output helpers: progress only on an interactive terminal outside CI, tables that keep
// columns aligned with wide characters and never break a row on U+2028 or newlines.
import { afterEach, describe, expect, it } from 'vitest';
import { createProgress, progressEnabled, transferLine } from '../../src/cli/format/progress.js';
import { cell, displayWidth, renderTable } from '../../src/cli/format/table.js';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { written: string } {
  const s = { isTTY, columns: 80, written: '', write(chunk: string) { s.written += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { written: string };
}

const savedCi = process.env.CI;
afterEach(() => {
  if (savedCi === undefined) delete process.env.CI;
  else process.env.CI = savedCi;
});

describe('progress', () => {
  it('is quiet when stderr is not a terminal or CI=true', () => {
    delete process.env.CI;
    expect(progressEnabled(fakeStream(false))).toBe(false);
    expect(progressEnabled(fakeStream(true))).toBe(true);
    process.env.CI = 'true';
    expect(progressEnabled(fakeStream(true))).toBe(false);
    const s = fakeStream(true);
    const p = createProgress(s);
    p.update('x');
    p.done();
    expect(s.written).toBe('');
  });

  it('redraws one line on a terminal and ends it with a newline', () => {
    delete process.env.CI;
    const s = fakeStream(true);
    const p = createProgress(s, 0);
    p.update(transferLine('import', { filesDone: 3, filesTotal: 26, bytesDone: 2 * 1024 * 1024, bytesTotal: 3 * 1024 * 1024, threadsDone: 2, threadsTotal: 25, elapsedMs: 1000 }));
    p.done();
    expect(s.written).toContain('\r\x1b[2Kimport: 3/26 files · 2.0 MB/3.0 MB (2.0 MB/s) · 2/25 threads · 2.0 threads/s');
    expect(s.written.endsWith('\n')).toBe(true);
  });
});

describe('tables', () => {
  it('aligns columns with wide characters and flattens line breaks', () => {
    expect(displayWidth('🚀a')).toBe(3);
    expect(cell('a\u2028b\nc')).toBe('a b c');
    expect(cell('x'.repeat(10), 5)).toBe('xxxx…');
    const out = renderTable(['A', 'B'], [['🚀', '1'], ['ab', '2']]);
    expect(out.split('\n')[1]).toBe('🚀  1');
    expect(out.split('\n')[2]).toBe('ab  2');
  });
});
