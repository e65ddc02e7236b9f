// Dependencies point one way (docs/ARCHITECTURE.md): model → history → db → store → live → manager,
// with codex, admin and analytics on top, then the CLI and the public entry points. This test reads
// every import of every module under src/ and fails when one reaches a layer it may not: above its
// own, or sideways into another top-level area. codex/ reaches stored threads only through the
// import/export port (src/store/transfer.ts); model/ and history/ are pure (no I/O, no driver).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

type Layer = 'model' | 'history' | 'db' | 'store' | 'live' | 'manager' | 'codex' | 'admin' | 'analytics' | 'cli' | 'api';

/** What each layer may import (besides itself). */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  model: [],
  history: ['model'],
  db: ['model'],
  store: ['model', 'history', 'db'],
  live: ['model', 'history', 'store'],
  manager: ['model', 'history', 'store', 'live'],
  codex: ['model', 'history'], // plus the port: see PORT
  admin: ['model', 'db', 'store'],
  analytics: ['model', 'db'],
  cli: ['model', 'history', 'db', 'store', 'live', 'manager', 'codex', 'admin', 'analytics'],
  api: ['model', 'history', 'db', 'store', 'live', 'manager', 'codex', 'admin', 'analytics'],
};

/** The one store module codex/ may import: the import/export port. */
const PORT = 'store/transfer.ts';

/** Known exceptions, each with its reason. Keep this list short (none today) and say when each goes. */
const EXCEPTIONS: Record<string, readonly string[]> = {};

/** Packages the pure layers may use. */
const PURE_PACKAGES = new Set(['zod', 'uuid']);

function layerOf(path: string): Layer | null {
  if (path === 'index.ts') return 'api';
  const top = path.split('/')[0]!;
  return (Object.keys(ALLOWED) as Layer[]).includes(top as Layer) ? (top as Layer) : null;
}

interface Import {
  from: string;
  specifier: string;
  /** Resolved path under src/ (relative imports only). */
  target: string | null;
}

function importsOf(path: string, text: string): Import[] {
  const out: Import[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) {
    const specifier = (m[1] ?? m[2] ?? m[3])!;
    const target = specifier.startsWith('.') ? relative(SRC, resolve(SRC, dirname(path), specifier)).replace(/\.js$/, '.ts') : null;
    out.push({ from: path, specifier, target });
  }
  return out;
}

/** Every violation among `imports`, as `from → target (reason)`. */
function violations(imports: readonly Import[]): string[] {
  const out: string[] = [];
  for (const { from, specifier, target } of imports) {
    const layer = layerOf(from);
    if (layer === null) continue;
    if (target === null) {
      if ((layer === 'model' || layer === 'history') && !PURE_PACKAGES.has(specifier)) out.push(`${from} → ${specifier} (model/ and history/ are pure)`);
      continue;
    }
    const to = layerOf(target);
    if (to === null || to === layer) continue;
    if (EXCEPTIONS[from]?.includes(target)) continue;
    if (layer === 'codex' && target === PORT) continue;
    if (!ALLOWED[layer].includes(to)) out.push(`${from} → ${target} (${layer} may not import ${to})`);
  }
  return out;
}

function sources(dir = SRC): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(SRC, path));
  }
  return out;
}

describe('layers', () => {
  const files = sources();
  const imports = files.flatMap((f) => importsOf(f, readFileSync(join(SRC, f), 'utf8')));

  it('every module under src/ belongs to a layer', () => {
    expect(files.filter((f) => layerOf(f) === null)).toEqual([]);
    expect(imports.length).toBeGreaterThan(300);
  });

  it('no module imports from a layer above it (or sideways into another area)', () => {
    expect(violations(imports)).toEqual([]);
  });

  it('codex/ reaches the store through the port only', () => {
    const reached = new Set(imports.filter((i) => layerOf(i.from) === 'codex' && i.target?.startsWith('store/') && !EXCEPTIONS[i.from]).map((i) => i.target));
    expect([...reached]).toEqual([PORT]);
  });

  it('the check itself catches what it must (so it can fail)', () => {
    const fake = (from: string, specifier: string): Import[] => importsOf(from, `import { x } from '${specifier}';`);
    expect(violations(fake('store/memory/x.ts', '../../live/LiveThread.js'))).toEqual(['store/memory/x.ts → live/LiveThread.ts (store may not import live)']);
    expect(violations(fake('db/x.ts', '../store/ThreadStore.js'))).toHaveLength(1);
    expect(violations(fake('model/x.ts', '../history/turns.js'))).toHaveLength(1);
    expect(violations(fake('codex/export/x.ts', '../../store/postgres/historySegments.js'))).toHaveLength(1);
    expect(violations(fake('codex/export/x.ts', '../../store/transfer.js'))).toEqual([]);
    expect(violations(fake('history/x.ts', 'node:fs'))).toHaveLength(1);
    expect(violations(fake('analytics/x.ts', '../store/openThreadStore.js'))).toHaveLength(1);
    expect(violations(fake('manager/x.ts', '../live/LiveThread.js'))).toEqual([]);
    expect(importsOf('live/x.ts', "export { y } from '../manager/ThreadManager.js';\nconst m = await import('../cli/main.js');").map((i) => i.target)).toEqual([
      'manager/ThreadManager.ts',
      'cli/main.ts',
    ]);
  });
});
