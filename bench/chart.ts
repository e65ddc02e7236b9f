// Draws the benchmark charts as standalone SVG files from bench/results/*.json (no browser, no
// dependencies):
//   bench/results/append-throughput.svg — append throughput (messages/s) against the number of
//     concurrent threads: pg-thread-store's LiveThread and its raw ceilings (bench/append.ts →
//     append.json) and every system of the peer benchmark (peers.json);
//   bench/results/resume-time.svg — resume time against thread length: reconstructHistory, the raw
//     tail read and the raw full scan (resume.json).
// Both axes are logarithmic. A chart whose results file is missing is skipped with a note.
//
// Usage: node --import tsx bench/chart.ts   (after `npm run bench -- append|peers|resume`)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const RESULTS = new URL('./results/', import.meta.url);

interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
}

interface ChartSpec {
  title: string;
  subtitle: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

type Row = Record<string, unknown>;

function readResults(name: string): { rows: Row[]; at: string } | null {
  const file = new URL(`${name}.json`, RESULTS);
  if (!existsSync(file)) return null;
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { results?: Row[]; at?: string };
  return { rows: doc.results ?? [], at: doc.at ?? '' };
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

const label = (v: number) => (v >= 1_000_000 ? `${v / 1_000_000}M` : v >= 1000 ? `${v / 1000}k` : v >= 1 ? String(v) : v.toPrecision(1));

/** A log–log line chart as an SVG document. */
export function lineChart(spec: ChartSpec): string {
  const W = 860;
  const H = 520;
  const m = { left: 80, right: 260, top: 64, bottom: 60 };
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs) / 1.3, Math.max(...xs) * 1.3];
  const [y0, y1] = [10 ** Math.floor(Math.log10(Math.min(...ys))), 10 ** Math.ceil(Math.log10(Math.max(...ys)))];
  const px = (x: number) => m.left + ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * (W - m.left - m.right);
  const py = (y: number) => H - m.bottom - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * (H - m.top - m.bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.left}" y="28" font-size="16" font-weight="bold">${escapeXml(spec.title)}</text>`);
  out.push(`<text x="${m.left}" y="46" fill="#555">${escapeXml(spec.subtitle)}</text>`);
  // grid and axes
  const xTicks = [...new Set(spec.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  for (const t of niceTicks(y0, y1)) {
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 8}" y="${py(t) + 4}" text-anchor="end">${label(t)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${m.top}" y2="${H - m.bottom}" stroke="#efefef"/>`);
    out.push(`<text x="${px(t)}" y="${H - m.bottom + 18}" text-anchor="middle">${label(t)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 16}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(20 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  // series
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const p = [...s.points].filter(([x, y]) => x > 0 && y > 0).sort((a, b) => a[0] - b[0]);
    if (p.length === 0) return;
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${p.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of p) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${color}"><title>${escapeXml(`${s.name}: ${label(x)} → ${y.toPrecision(3)}`)}</title></circle>`);
    const ly = m.top + 8 + i * 20;
    out.push(`<line x1="${W - m.right + 16}" x2="${W - m.right + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${W - m.right + 46}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const PEER_NAMES: Record<string, string> = {
  store: 'pg-thread-store LiveThread, 1/call',
  'store-batch100': 'pg-thread-store LiveThread, 100/call',
  mastra: 'Mastra saveMessages, 1/call',
  'mastra-batch100': 'Mastra saveMessages, 100/call',
  langgraph: 'LangGraph put per step (capped)',
  raw: 'raw INSERT, 1/call',
  'raw-batch100': 'raw INSERT, 100/call',
  'raw-items-batch100': 'raw INSERT into thread_items, 100/call',
};

function appendChart(): ChartSpec | null {
  const series: Series[] = [];
  const append = readResults('append');
  const notes: string[] = [];
  if (append) {
    const rows = append.rows.filter((r) => typeof r.threads === 'number' && typeof r.items_per_s === 'number');
    const of = (key: string) => rows.filter((r) => typeof r[key] === 'number').map((r) => [r.threads as number, r[key] as number] as [number, number]);
    if (rows.length > 0) {
      series.push({ name: 'append bench: LiveThread', points: of('items_per_s') });
      series.push({ name: 'append bench: raw batched', points: of('raw_batched_items_per_s'), dashed: true });
      series.push({ name: 'append bench: raw concurrent', points: of('raw_concurrent_items_per_s'), dashed: true });
      notes.push(`append.json ${append.at.slice(0, 10)}`);
    }
  }
  const peers = readResults('peers');
  if (peers) {
    const rows = peers.rows.filter((r) => r.workload === 'append');
    for (const key of [...new Set(rows.map((r) => String(r.system)))]) {
      series.push({
        name: PEER_NAMES[key] ?? key,
        points: rows.filter((r) => r.system === key).map((r) => [r.threads as number, r.msgs_per_s as number]),
        dashed: key.startsWith('raw'),
      });
    }
    if (rows.length > 0) notes.push(`peers.json ${peers.at.slice(0, 10)}`);
  }
  if (series.length === 0) return null;
  return {
    title: 'Append throughput vs concurrent threads (1 KB messages)',
    subtitle: `each thread appends and waits for each append to commit; log–log; ${notes.join(', ')}`,
    xLabel: 'concurrent threads',
    yLabel: 'messages per second',
    series: series.filter((s) => s.points.length > 0),
  };
}

function resumeChart(): ChartSpec | null {
  const resume = readResults('resume');
  if (!resume) return null;
  const rows = resume.rows.filter((r) => typeof r.items === 'number');
  const of = (key: string) => rows.filter((r) => typeof r[key] === 'number').map((r) => [r.items as number, r[key] as number] as [number, number]);
  return {
    title: 'Resume time vs thread length',
    subtitle: `reconstructHistory with a checkpoint 100 lines from the end; median ms; log–log; resume.json ${resume.at.slice(0, 10)}`,
    xLabel: 'items in the thread',
    yLabel: 'milliseconds',
    series: [
      { name: 'reconstructHistory', points: of('ms') },
      { name: 'raw SQL: read the tail', points: of('raw_tail_ms'), dashed: true },
      { name: 'raw SQL: read the whole thread', points: of('raw_full_scan_ms'), dashed: true },
    ].filter((s) => s.points.length > 0),
  };
}

for (const [file, spec] of [
  ['append-throughput.svg', appendChart()],
  ['resume-time.svg', resumeChart()],
] as const) {
  if (!spec || spec.series.length === 0) {
    process.stdout.write(`chart: skipped ${file} (no results yet)\n`);
    continue;
  }
  writeFileSync(new URL(file, RESULTS), lineChart(spec));
  process.stdout.write(`chart: wrote bench/results/${file}\n`);
}
