// The Codex judge for threads that were never imported: every thread of the samples that is neither
// a fork nor reverted is re-created through the library as a platform running Codex's loop would
// persist it (LiveThread.create with its session_meta's values, then append of its other lines —
// LiveThread derives preview, title, model, … as Codex does), and exported; Codex (0.169 and 0.171, when installed) must read each with exactly the turns and items
// it reads in the original. Export writes a store thread's file, state row and projection from the
// store's rows alone (no import manifest), so this covers that path.
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCodexHome } from '../../src/codex/export/index.js';
import { LiveThread } from '../../src/live/LiveThread.js';
import type { CreateThreadParams } from '../../src/model/params.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import { useTestStore } from '../helpers/database.js';
import { answersOf, recordedAnswers } from './codexAnswers.js';
import { codexView, findCodexBin } from './codexAppServer.js';
import { rolloutFiles, SAMPLES } from './helpers.js';

type Meta = Record<string, unknown>;
const pg = useTestStore();
const tmp = mkdtempSync(join(tmpdir(), 'ts-codex-store-threads-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The CreateThreadParams of a session_meta (the Codex-typed values as Codex wrote them). */
function paramsOf(meta: Meta): CreateThreadParams {
  const window = meta.context_window as { window_id?: string } | undefined;
  return {
    threadId: meta.id as string,
    sessionId: meta.session_id as string,
    ...(meta.parent_thread_id ? { parentThreadId: meta.parent_thread_id as string } : {}),
    source: meta.source as CreateThreadParams['source'],
    ...(meta.thread_source ? { threadSource: meta.thread_source as string } : {}),
    originator: meta.originator as string,
    cliVersion: meta.cli_version as string,
    baseInstructions: meta.base_instructions as CreateThreadParams['baseInstructions'],
    ...(meta.multi_agent_version ? { multiAgentVersion: meta.multi_agent_version as string } : {}),
    historyMode: meta.history_mode as CreateThreadParams['historyMode'],
    ...(window?.window_id ? { initialWindowId: window.window_id } : {}),
    ...(meta.agent_nickname ? { agentNickname: meta.agent_nickname as string } : {}),
    ...(meta.git ? { gitInfo: meta.git as CreateThreadParams['gitInfo'] } : {}),
    metadata: { cwd: meta.cwd as string, modelProvider: meta.model_provider as string },
  };
}

describe.each(SAMPLES)('threads of the Codex $version sample created through the store API', ({ version, home }) => {
  const bin = findCodexBin(version);
  const ids: string[] = [];
  let turnsByThread: Map<string, unknown>;
  let listed: string[];
  let listedThreads: Map<string, Record<string, unknown>>;

  beforeAll(async () => {
    if (!bin) return;
    const tenant = randomUUID();
    const store = pg.service.forTenant(tenant);
    // What the scenario's user changed with thread/metadata/update (git info Codex keeps in SQLite
    // only) the platform passes to updateThreadMetadata.
    const recorded = recordedAnswers(version).read;
    const files = rolloutFiles(home);
    const reverted = new Set(files.filter((f) => /_[0-9a-f-]{36}\.jsonl$/.test(f)).map((f) => /-([0-9a-f-]{36})_/.exec(f)![1]!));
    for (const file of files) {
      const [first, ...rest] = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as RolloutLine);
      const meta = first!.payload as Meta;
      // Forks and reverts need their base's history; here only self-contained threads.
      if (meta.history_base || reverted.has(meta.id as string)) continue;
      const params = paramsOf(meta);
      const live = await LiveThread.create(store, params);
      await live.append(rest);
      await live.shutdown();
      const git = recorded[params.threadId]?.gitInfo as { sha: string | null; branch: string | null; originUrl: string | null } | null;
      const fromMeta = meta.git as { commit_hash?: string; branch?: string; repository_url?: string } | undefined;
      if (git && (git.sha !== (fromMeta?.commit_hash ?? null) || git.branch !== (fromMeta?.branch ?? null) || git.originUrl !== (fromMeta?.repository_url ?? null))) {
        await store.updateThreadMetadata({ threadId: params.threadId, patch: { gitInfo: git } });
      }
      ids.push(params.threadId);
    }
    const out = join(tmp, version);
    const summary = await exportCodexHome({ store: pg.service.forTenant(tenant), outDir: out });
    expect(summary.problems).toEqual([]);
    cpSync(join(home, 'config.toml'), join(out, 'config.toml'));
    const answers = answersOf(await codexView(bin, out, false), out, version);
    listed = [...answers.list.active, ...answers.list.archived].map((t) => t.id as string);
    listedThreads = new Map([...answers.list.active, ...answers.list.archived].map((t) => [t.id as string, t]));
    turnsByThread = new Map(Object.entries(answers.read).map(([id, t]) => [id, t.turns]));
  }, 180_000);

  it.skipIf(!bin)(`Codex ${version} lists every one and reads each with the original's turns and items`, () => {
    expect(ids.length).toBeGreaterThanOrEqual(15);
    expect([...listed].sort()).toEqual([...ids].sort());
    const original = recordedAnswers(version).read;
    for (const id of ids) expect(turnsByThread.get(id), id).toEqual(original[id]!.turns);
  });

  it.skipIf(!bin)(`Codex ${version} lists them with the facts LiveThread derived as Codex derives them`, () => {
    // Not compared: times (the store's clock), names (set by renames, not by items), archived state.
    const FACTS = ['preview', 'modelProvider', 'model', 'reasoningEffort', 'cwd', 'cliVersion', 'originator', 'source', 'gitInfo', 'agentNickname', 'agentRole', 'historyMode'];
    const pick = (t: Record<string, unknown>) => Object.fromEntries(FACTS.map((k) => [k, t[k]]));
    const recorded = recordedAnswers(version);
    const original = new Map([...recorded.list.active, ...recorded.list.archived].map((t) => [t.id as string, t]));
    for (const id of ids) expect(pick(listedThreads.get(id)!), id).toEqual(pick(original.get(id)!));
  });
});
