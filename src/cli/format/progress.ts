// Owns progress output: one self-overwriting status line on stderr, only when stderr is a terminal
// and CI is not set (CI=true, or a pipe/file, gets no progress at all), redrawn at most every 200 ms.
import { formatBytes } from './table.js';

export interface ProgressSink {
  update(text: string): void;
  done(): void;
}

export function progressEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  const ci = process.env.CI;
  return Boolean(stream.isTTY) && !(ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0');
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, intervalMs = 200): ProgressSink {
  if (!progressEnabled(stream)) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  let pending: string | null = null;
  const draw = (text: string) => {
    const width = Math.max(20, (stream.columns ?? 100) - 1);
    stream.write(`\r\x1b[2K${text.length > width ? text.slice(0, width) : text}`);
    shown = true;
  };
  return {
    update(text: string) {
      pending = text;
      const now = Date.now();
      if (now - last < intervalMs) return;
      last = now;
      draw(text);
      pending = null;
    },
    done() {
      if (pending !== null) draw(pending);
      if (shown) stream.write('\n');
    },
  };
}

/** `12/26 files · 1.2 MB/2.7 MB · 10/25 threads · 34.5 threads/s`. */
export function transferLine(label: string, p: { filesDone: number; filesTotal?: number; bytesDone: number; bytesTotal?: number; threadsDone: number; threadsTotal: number; elapsedMs: number }): string {
  const rate = p.elapsedMs > 0 ? (p.threadsDone * 1000) / p.elapsedMs : 0;
  const mbps = p.elapsedMs > 0 ? p.bytesDone / 1024 / 1024 / (p.elapsedMs / 1000) : 0;
  const files = p.filesTotal !== undefined ? `${p.filesDone}/${p.filesTotal}` : `${p.filesDone}`;
  const bytes = p.bytesTotal !== undefined ? `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}` : formatBytes(p.bytesDone);
  return `${label}: ${files} files · ${bytes} (${mbps.toFixed(1)} MB/s) · ${p.threadsDone}/${p.threadsTotal} threads · ${rate.toFixed(1)} threads/s`;
}
